"""migrate-doctor: tells the truth about Flask-Migrate and Alembic migrations.

The public Python API lives in :mod:`migrate_doctor.api`; its functions return
:class:`~migrate_doctor.model.Report` objects and raise
:class:`~migrate_doctor.errors.DoctorError` subclasses. They never print and never exit.
"""

__version__ = "0.1.0"
