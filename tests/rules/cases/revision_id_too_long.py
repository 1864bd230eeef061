from . import revision

CASES = [
    dict(name="a 44-character id", fires=True,
         names=["2024_01_15_add_customer_loyalty_points_table", "version_num"],
         revisions=[revision("2024_01_15_add_customer_loyalty_points_table", None)]),
    dict(name="Alembic's 12-character id", fires=False,
         revisions=[revision("3f1c2a9b8d7e", None)]),
    dict(name="exactly 32 characters", fires=False,
         revisions=[revision("a" * 32, None)]),
]
