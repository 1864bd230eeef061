"""The declarative base; the model modules beside it define the tables."""

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
