"""Lint time against the size of one revision file: it must grow linearly.

A generated revision (a big data-model change, as code generators write them) holds N
operations of every kind the rules look at: columns added, dropped and renamed on the
same tables, NOT NULL set, indexes, constraints added NOT VALID and validated, batch
blocks, UPDATEs in SQL and as SQLAlchemy expressions, loops and dialect guards. Each size
is linted cold (no disk cache) in a fresh process; the report is the time per 1,000
operations, which stays flat when lint is linear (quadratic work doubles it at every
doubling of N).

    .venv/bin/python bench/lint_scaling.py            # 1k .. 50k operations
    .venv/bin/python bench/lint_scaling.py --sizes 1000 8000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = '''"""generated: a big revision"""
from alembic import op
import sqlalchemy as sa

revision = "b16b16b16b16"
down_revision = None


def upgrade():
'''


def operation(i: int) -> list[str]:
    t = f"t{i % 97}"
    k = i % 12
    if k == 0:
        return [f'    op.add_column("{t}", sa.Column("c{i}", sa.String(20), nullable=True))']
    if k == 1:
        return [f'    op.create_index("ix_{i}", "{t}", ["c{i - 1}"])']
    if k == 2:
        return [f"""    op.execute("UPDATE {t} SET c{i - 2} = 'x' WHERE id > {i}")"""]
    if k == 3:
        return [f'    op.alter_column("{t}", "c{i - 3}", nullable=False)']
    if k == 4:
        return [f'    op.create_foreign_key("fk_{i}", "{t}", "users", ["c{i - 4}"], ["id"], '
                'postgresql_not_valid=True)',
                f'    op.execute("ALTER TABLE {t} VALIDATE CONSTRAINT fk_{i}")']
    if k == 5:
        return [f'    op.drop_column("{t}", "old{i}")']
    if k == 6:
        return ['    for suffix in ["a", "b"]:',
                f'        op.add_column("{t}", sa.Column("d{i}" + suffix, sa.Integer()))']
    if k == 7:
        return [f'    op.create_check_constraint("ck_{i}", "{t}", "c{i - 7} IS NOT NULL")']
    if k == 8:
        return [f'    with op.batch_alter_table("{t}") as batch_op:',
                f'        batch_op.alter_column("c{i - 8}", new_column_name="r{i}")']
    if k == 9:
        return [f'    op.execute(sa.update(sa.table("{t}", sa.column("c{i}"))).values(c{i}=1))']
    if k == 10:
        return ['    if op.get_bind().dialect.name == "sqlite":',
                f'        op.drop_index("ix_{i - 9}", table_name="{t}")']
    return [f'    op.add_column("{t}", sa.Column("n{i}", sa.Integer(), nullable=False))']


def write_project(root: Path, n: int) -> Path:
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "migrations" / "env.py").write_text("")
    (root / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/migrations\n")
    lines = [HEADER]
    for i in range(n):
        lines.extend(operation(i))
    lines.append("\n\ndef downgrade():\n    pass\n")
    (versions / "b16b16b16b16_big.py").write_text("\n".join(lines))
    return root


def lint_seconds(root: Path) -> float:
    tool = Path(sys.executable).parent / "migrate-doctor"
    env = dict(os.environ, MIGRATE_DOCTOR_NO_CACHE="1")
    start = time.perf_counter()
    proc = subprocess.run([str(tool), "-c", "alembic.ini", "lint", "--dialect", "postgresql",
                           "--format", "json"], cwd=root, env=env, capture_output=True,
                          text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1) or "Traceback" in proc.stderr:
        raise SystemExit(f"lint failed on {root}:\n{proc.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+",
                        default=[1000, 2000, 5000, 10000, 25000, 50000])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="md-scaling-") as tmp:
        for n in args.sizes:
            root = write_project(Path(tmp) / f"p{n}", n)
            size = sum(p.stat().st_size for p in root.rglob("*.py"))
            seconds = lint_seconds(root)
            rows.append((n, size, seconds))
            print(f"{n:>7} operations  {size / 1e6:6.2f} MB  {seconds:7.2f} s  "
                  f"{seconds / n * 1000:6.3f} s per 1,000 operations", flush=True)
    first, last = rows[0], rows[-1]
    ratio = (last[2] / last[0]) / (first[2] / first[0])
    print(f"time per operation at {last[0]:,} vs {first[0]:,}: {ratio:.2f}x "
          "(linear: about 1x; startup makes the small sizes look slower per operation)")


if __name__ == "__main__":
    main()
