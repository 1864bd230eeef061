"""The schema model and the revision operations behind gen_history.py.

Each line of history (main = 0, side branches 1, 2, ...) only alters tables it
owns, i.e. created itself; a side branch's tables pass to the main line at the
merge.  Foreign keys may point at any table of the main line, which is then
pinned (never dropped).  Operations SQLite cannot run in place are wrapped in
``_is_sqlite()`` checks so that both SQLite and PostgreSQL get valid SQL.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import ClassVar

MAIN = 0
# fmt: off
AREAS = "billing catalog crm hr stock shipping support stats auth cms".split()  # noqa: SIM905
NOUNS = """accounts invoices items events notes orders payments refunds products variants customers
contacts leads tickets replies tags employees teams shifts warehouses shipments parcels carriers
sessions tokens roles pages articles media comments audits reports metrics coupons discounts
addresses regions suppliers""".split()  # noqa: SIM905
# Vocabulary of new columns, name:kind[:length].
COLS: list[tuple[str, str, int | None]] = [
    (n, k, int(rest[0]) if rest else None)
    for n, k, *rest in (spec.split(":") for spec in """
        title:str:120 slug:str:80 status:str:20 note:text email:str:255 phone:str:32
        country_code:str:2 priority:int score:int quantity:int amount:numeric is_active:bool
        is_archived:bool starts_on:date updated_at:datetime deleted_at:datetime
        external_ref:str:64 description:text settings:json weight:numeric version:bigint
        locale:str:10 source:str:40 due_on:date""".split())  # noqa: SIM905
]
# kind: SQLAlchemy type, value to backfill NULLs with, server_default (constant: SQLite ADD COLUMN)
KINDS: dict[str, tuple[str, str, str]] = {
    "str": ("", "'n/a'", "''"),
    "text": ("sa.Text()", "''", "''"),
    "int": ("sa.Integer()", "0", "'0'"),
    "bigint": ("sa.BigInteger()", "0", "'0'"),
    "numeric": ("", "0", "'0'"),
    "bool": ("sa.Boolean()", "false", "sa.false()"),
    "datetime": ("sa.DateTime()", "CURRENT_TIMESTAMP", "'1970-01-01 00:00:00'"),
    "date": ("sa.Date()", "CURRENT_DATE", "'1970-01-01'"),
    "json": ("sa.JSON()", "", ""),
}
# fmt: on
FILLABLE = {k for k, v in KINDS.items() if v[1]}


@dataclass
class Col:
    name: str
    kind: str
    length: int | None = None
    nullable: bool = True
    default: str | None = None
    locked: bool = False  # primary key / foreign key / indexed / unique: never dropped or renamed

    def type_sql(self) -> str:
        if self.kind == "str":
            return f"sa.String(length={self.length})"
        if self.kind == "numeric":
            return f"sa.Numeric(precision={self.length or 10}, scale=2)"
        return KINDS[self.kind][0]

    def fill(self) -> str:
        return "'na'" if self.kind == "str" and (self.length or 0) < 3 else KINDS[self.kind][1]

    def render(self, nullable: bool | None = None) -> str:
        null = self.nullable if nullable is None else nullable
        default = f", server_default={self.default}" if self.default else ""
        return f"sa.Column('{self.name}', {self.type_sql()}{default}, nullable={null})"


@dataclass
class Table:
    name: str
    owner: int
    cols: dict[str, Col]
    fks: list[tuple[str, str, str]] = field(default_factory=list)  # (column, referred table, name)
    indexes: dict[str, list[str]] = field(default_factory=dict)
    pinned: bool = False  # referred to by a foreign key: never dropped
    seeded: bool = False  # holds rows: no unique indexes added later


@dataclass
class Op:
    kind: str
    message: str
    up: list[str]
    down: list[str]
    sqlite_guard: bool = False


@dataclass
class Rev:
    rev: str
    down: tuple[str, ...]
    ops: list[Op]
    message: str
    autogen: bool


def guarded(lines: list[str], alt: list[str] | None = None) -> list[str]:
    out = ["if not _is_sqlite():"] + ["    " + x for x in lines]
    if alt:
        out = (
            ["if _is_sqlite():"]
            + ["    " + x for x in alt]
            + ["else:"]
            + ["    " + x for x in lines]
        )
    return out


class History:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.tables: dict[str, Table] = {}
        self.names: set[str] = set()  # index / constraint names, schema-wide in PostgreSQL
        self.revs: list[Rev] = []
        self.ids: set[str] = set()

    # -- naming -------------------------------------------------------------
    def unique(self, base: str, taken: Collection[str]) -> str:
        name, n = base, 2
        while name in taken:
            name, n = f"{base}_{n}", n + 1
        return name

    def new_id(self) -> str:
        while True:
            rev = f"{self.rng.getrandbits(48):012x}"
            if rev not in self.ids:
                self.ids.add(rev)
                return rev

    def reserve(self, base: str) -> str:
        name = self.unique(base[:60], self.names)
        self.names.add(name)
        return name

    def owned(self, line: int) -> list[Table]:
        return [t for t in self.tables.values() if t.owner == line]

    def pick_col(self, line: int, ok: Callable[[Col], bool]) -> tuple[Table, Col] | None:
        cands = [
            (t, c) for t in self.owned(line) for c in t.cols.values() if not c.locked and ok(c)
        ]
        return self.rng.choice(cands) if cands else None

    def new_col(self, t: Table, nullable: bool = True) -> Col:
        fresh = [x for x in COLS if x[0] not in t.cols]
        name, kind, length = self.rng.choice(fresh or COLS)
        return Col(self.unique(name, t.cols), kind, length, nullable)

    # -- operations -----------------------------------------------------------
    def op_create_table(self, line: int) -> Op:
        rng = self.rng
        name = self.unique(f"{rng.choice(AREAS)}_{rng.choice(NOUNS)}", self.tables)
        t = Table(name, line, {"id": Col("id", "int", nullable=False, locked=True)})
        for _ in range(rng.randint(2, 6)):
            c = self.new_col(t, nullable=rng.random() < 0.7)
            if not c.nullable and c.kind != "json":
                c.default = KINDS[c.kind][2] if rng.random() < 0.6 else None
            t.cols[c.name] = c
        if rng.random() < 0.5:
            t.cols["created_at"] = Col(
                "created_at", "datetime", nullable=False, default="sa.text('CURRENT_TIMESTAMP')"
            )
        extra, down = [], [f"op.drop_table('{name}')"]
        refs = [r for r in self.tables.values() if r.owner in (line, MAIN)]
        if refs and rng.random() < 0.45:
            ref = rng.choice(refs)
            ref.pinned = True
            col = Col(
                self.unique(f"{ref.name.split('_', 1)[1].rstrip('s')}_id", t.cols),
                "int",
                locked=True,
            )
            t.cols[col.name] = col
            t.fks.append((col.name, ref.name, ""))
            ix = self.reserve(f"ix_{name}_{col.name}")
            t.indexes[ix] = [col.name]
            extra.append(f"op.create_index(op.f('{ix}'), '{name}', ['{col.name}'], unique=False)")
            down.insert(0, f"op.drop_index(op.f('{ix}'), table_name='{name}')")
        uniq = [
            c
            for c in t.cols.values()
            if c.kind == "str" and c.name in ("slug", "email", "external_ref")
        ]
        if uniq:
            uniq[0].locked = True
        self.tables[name] = t
        up = self.render_create(t, uniq[0].name if uniq else None) + extra
        return Op("create_table", f"create {name} table", up, down)

    def render_create(self, t: Table, unique: str | None = None) -> list[str]:
        lines = [f"op.create_table('{t.name}',"] + [c.render() + "," for c in t.cols.values()]
        lines += [
            f"sa.ForeignKeyConstraint(['{c}'], ['{r}.id'], )," for c, r, name in t.fks if not name
        ]
        lines.append("sa.PrimaryKeyConstraint('id')" + ("," if unique else ""))
        if unique:
            lines.append(f"sa.UniqueConstraint('{unique}')")
        return lines + [")"]

    def op_add_column(self, line: int) -> Op | None:
        owned = self.owned(line)
        if not owned:
            return None
        t = self.rng.choice(owned)
        c = self.new_col(t)
        t.cols[c.name] = c
        if self.rng.random() < 0.35:  # Flask-Migrate (render_as_batch) style
            up = [
                f"with op.batch_alter_table('{t.name}', schema=None) as batch_op:",
                f"    batch_op.add_column({c.render()})",
            ]
            down = [
                f"with op.batch_alter_table('{t.name}', schema=None) as batch_op:",
                f"    batch_op.drop_column('{c.name}')",
            ]
            if self.rng.random() < 0.4 and c.kind not in ("json", "text"):
                c.locked = True
                ix = self.reserve(f"ix_{t.name}_{c.name}")
                t.indexes[ix] = [c.name]
                up.append(
                    f"    batch_op.create_index(batch_op.f('{ix}'), ['{c.name}'], unique=False)"
                )
                down.insert(1, f"    batch_op.drop_index(batch_op.f('{ix}'))")
            return Op("add_column", f"add {c.name} to {t.name}", up, down)
        return Op(
            "add_column",
            f"add {c.name} to {t.name}",
            [f"op.add_column('{t.name}', {c.render()})"],
            [f"op.drop_column('{t.name}', '{c.name}')"],
        )

    def op_add_not_null(self, line: int) -> Op | None:
        owned = self.owned(line)
        if not owned:
            return None
        t = self.rng.choice(owned)
        c = self.new_col(t, nullable=False)
        if c.kind == "json":
            return None
        t.cols[c.name] = c
        msg = f"add required {c.name} to {t.name}"
        down = [f"op.drop_column('{t.name}', '{c.name}')"]
        if t.seeded or self.rng.random() < 0.3:  # the safe variant, with a server default
            c.default = KINDS[c.kind][2]
            return Op(
                "add_column_not_null_default",
                msg,
                [f"op.add_column('{t.name}', {c.render()})"],
                down,
            )
        up = guarded(
            [f"op.add_column('{t.name}', {c.render()})"],
            alt=[f"op.add_column('{t.name}', {c.render(nullable=True)})"],
        )
        return Op("add_column_not_null", msg, up, down, sqlite_guard=True)

    def op_backfill_not_null(self, line: int) -> Op | None:
        got = self.pick_col(line, lambda c: c.nullable and c.kind in FILLABLE)
        if not got:
            return None
        t, c = got
        c.nullable = False
        alter = (
            f"op.alter_column('{t.name}', '{c.name}', existing_type={c.type_sql()}, nullable={{}})"
        )
        up = [f'op.execute("UPDATE {t.name} SET {c.name} = {c.fill()} WHERE {c.name} IS NULL")']
        up += guarded([alter.format(False)])
        return Op(
            "set_not_null",
            f"make {t.name}.{c.name} required",
            up,
            guarded([alter.format(True)]),
            sqlite_guard=True,
        )

    def op_create_index(self, line: int) -> Op | None:
        got = self.pick_col(line, lambda c: c.kind not in ("json", "text"))
        if not got:
            return None
        t, c = got
        c.locked = True
        cols = [c.name]
        other = [
            o
            for o in t.cols.values()
            if not o.locked and o.kind in ("str", "int", "date", "datetime")
        ]
        if other and self.rng.random() < 0.25:
            other[0].locked = True
            cols.append(other[0].name)
        ix = self.reserve(f"ix_{t.name}_{'_'.join(cols)}")
        t.indexes[ix] = cols
        unique = not t.seeded and self.rng.random() < 0.1
        rest = f"'{t.name}', {cols!r}, unique={unique}"
        if self.rng.random() < 0.2:
            return Op(
                "create_index_concurrently",
                f"index {t.name} {c.name} concurrently",
                [
                    "with op.get_context().autocommit_block():",
                    f"    op.create_index('{ix}', {rest}, postgresql_concurrently=True)",
                ],
                [
                    "with op.get_context().autocommit_block():",
                    f"    op.drop_index('{ix}', table_name='{t.name}', postgresql_concurrently=True)",
                ],
            )
        return Op(
            "create_index",
            f"add index on {t.name} {c.name}",
            [f"op.create_index(op.f('{ix}'), {rest})"],
            [f"op.drop_index(op.f('{ix}'), table_name='{t.name}')"],
        )

    def op_drop_index(self, line: int) -> Op | None:
        cands = [(t, ix) for t in self.owned(line) for ix in t.indexes]
        if not cands:
            return None
        t, ix = self.rng.choice(cands)
        cols = t.indexes.pop(ix)
        return Op(
            "drop_index",
            f"drop index {ix}",
            [f"op.drop_index('{ix}', table_name='{t.name}')"],
            [f"op.create_index('{ix}', '{t.name}', {cols!r}, unique=False)"],
        )

    def op_drop_column(self, line: int) -> Op | None:
        got = self.pick_col(line, lambda c: True)
        if not got:
            return None
        t, c = got
        del t.cols[c.name]
        back = f"sa.Column('{c.name}', {c.type_sql()}, autoincrement=False, nullable=True)"
        return Op(
            "drop_column",
            f"drop {t.name}.{c.name}",
            [f"op.drop_column('{t.name}', '{c.name}')"],
            [f"op.add_column('{t.name}', {back})"],
        )

    def op_rename_column(self, line: int) -> Op | None:
        got = self.pick_col(line, lambda c: True)
        if not got:
            return None
        t, c = got
        old = c.name
        new = self.unique(
            self.rng.choice([f"{old}_old", f"legacy_{old}", f"{old}_value", f"{old}_v2"]), t.cols
        )
        del t.cols[old]
        c.name = new
        t.cols[new] = c
        tpl = "op.alter_column('{t}', '{a}', new_column_name='{b}', existing_type={ty}, existing_nullable={n})"
        return Op(
            "rename_column",
            f"rename {t.name}.{old} to {new}",
            [tpl.format(t=t.name, a=old, b=new, ty=c.type_sql(), n=c.nullable)],
            [tpl.format(t=t.name, a=new, b=old, ty=c.type_sql(), n=c.nullable)],
        )

    def op_change_type(self, line: int) -> Op | None:
        got = self.pick_col(
            line, lambda c: c.kind in ("int", "str", "numeric") and c.default is None
        )
        if not got:
            return None
        t, c = got
        before = c.type_sql()
        if c.kind == "int":
            c.kind = "bigint"
        elif c.kind == "numeric":
            c.length = (c.length or 10) + 2
        elif self.rng.random() < 0.3:
            c.kind, c.length = "text", None
        else:
            c.length = (c.length or 50) * 2
        tpl = "op.alter_column('{t}', '{c}', existing_type={a}, type_={b}, existing_nullable={n})"
        return Op(
            "alter_column_type",
            f"widen {t.name}.{c.name}",
            guarded([tpl.format(t=t.name, c=c.name, a=before, b=c.type_sql(), n=c.nullable)]),
            guarded([tpl.format(t=t.name, c=c.name, a=c.type_sql(), b=before, n=c.nullable)]),
            sqlite_guard=True,
        )

    def op_data_migration(self, line: int) -> Op | None:
        got = self.pick_col(line, lambda c: c.kind in FILLABLE)
        if not got:
            return None
        t, c = got
        if c.kind == "str" and self.rng.random() < 0.4:
            sql = f"UPDATE {t.name} SET {c.name} = lower({c.name})"
        else:
            sql = f"UPDATE {t.name} SET {c.name} = {c.fill()} WHERE {c.name} IS NULL"
        stmt = (
            f'op.execute(sa.text("{sql}"))' if self.rng.random() < 0.3 else f'op.execute("{sql}")'
        )
        return Op(
            "execute_update",
            f"backfill {t.name} {c.name}",
            [stmt],
            ["# data migration: nothing to undo"],
        )

    def op_create_fk(self, line: int) -> Op | None:
        owned = self.owned(line)
        refs = [r for r in self.tables.values() if r.owner in (line, MAIN)]
        if not owned or not refs:
            return None
        t, ref = self.rng.choice(owned), self.rng.choice(refs)
        ref.pinned = True
        col = Col(
            self.unique(f"{ref.name.split('_', 1)[1].rstrip('s')}_id", t.cols), "int", locked=True
        )
        t.cols[col.name] = col
        fk = self.reserve(f"fk_{t.name}_{col.name}")
        t.fks.append((col.name, ref.name, fk))
        up = [f"op.add_column('{t.name}', {col.render()})"]
        up += guarded(
            [f"op.create_foreign_key('{fk}', '{t.name}', '{ref.name}', ['{col.name}'], ['id'])"]
        )
        down = guarded([f"op.drop_constraint('{fk}', '{t.name}', type_='foreignkey')"])
        down.append(f"op.drop_column('{t.name}', '{col.name}')")
        return Op("create_foreign_key", f"link {t.name} to {ref.name}", up, down, sqlite_guard=True)

    def op_seed_lookup(self, line: int) -> Op | None:
        name = self.unique(f"{self.rng.choice(AREAS)}_kinds", self.tables)
        t = Table(
            name,
            line,
            {
                "id": Col("id", "int", nullable=False, locked=True),
                "code": Col("code", "str", 20, nullable=False, locked=True),
                "label": Col("label", "str", 80),
            },
            seeded=True,
        )
        self.tables[name] = t
        rows = ", ".join(
            f"{{'id': {i}, 'code': '{k}', 'label': '{k.title()}'}}"
            for i, k in enumerate(
                self.rng.sample(["basic", "pro", "team", "legacy", "trial", "partner"], 3), 1
            )
        )
        up = self.render_create(t, "code") + [
            f"kinds = sa.table('{name}', sa.column('id', sa.Integer), "
            + "sa.column('code', sa.String), sa.column('label', sa.String))",
            f"op.bulk_insert(kinds, [{rows}])",
        ]
        return Op("bulk_insert", f"add {name} lookup", up, [f"op.drop_table('{name}')"])

    def op_drop_table(self, line: int) -> Op | None:
        cands = [t for t in self.owned(line) if not t.pinned]
        if len(cands) < 3:
            return None
        t = self.rng.choice(cands)
        del self.tables[t.name]
        down = self.render_create(t) + [
            f"op.create_index('{ix}', '{t.name}', {cols!r}, unique=False)"
            for ix, cols in t.indexes.items()
        ]
        added = [
            f"op.create_foreign_key('{n}', '{t.name}', '{r}', ['{c}'], ['id'])"
            for c, r, n in t.fks
            if n
        ]
        down += guarded(added) if added else []
        return Op(
            "drop_table",
            f"drop {t.name}",
            [f"op.drop_table('{t.name}')"],
            down,
            sqlite_guard=bool(added),
        )

    WEIGHTS: ClassVar[dict[str, int]] = {
        "create_table": 12,
        "add_column": 16,
        "add_not_null": 6,
        "backfill_not_null": 3,
        "create_index": 10,
        "drop_index": 2,
        "drop_column": 5,
        "rename_column": 6,
        "change_type": 5,
        "data_migration": 7,
        "create_fk": 4,
        "seed_lookup": 1,
        "drop_table": 1,
    }

    # -- revisions ----------------------------------------------------------------
    def revision(self, line: int, down: tuple[str, ...]) -> str:
        ops: list[Op] = []
        if not self.owned(line):
            ops.append(self.op_create_table(line))
        want = self.rng.choices([1, 2, 3], [60, 30, 10])[0]
        kinds, weights = list(self.WEIGHTS), list(self.WEIGHTS.values())
        while len(ops) < want:
            op = getattr(self, "op_" + self.rng.choices(kinds, weights)[0])(line)
            if op:
                ops.append(op)
        rev = self.new_id()
        auto = all(
            o.kind
            not in ("execute_update", "set_not_null", "bulk_insert", "create_index_concurrently")
            for o in ops
        )
        self.revs.append(Rev(rev, down, ops, ops[0].message, auto and self.rng.random() < 0.8))
        return rev

    def build(self, total: int) -> None:
        tip = self.revision(MAIN, ())
        until, line = self.rng.randint(15, 25), 0
        while len(self.revs) < total:
            k, m = self.rng.randint(2, 6), self.rng.randint(1, 4)
            if until <= 0 and total - len(self.revs) >= k + m + 1:
                line += 1
                btip: tuple[str, ...] = (tip,)
                for _ in range(k):
                    btip = (self.revision(line, btip),)
                mtip: tuple[str, ...] = (tip,)
                for _ in range(m):
                    mtip = (self.revision(MAIN, mtip),)
                for t in self.owned(line):
                    t.owner = MAIN
                tip = self.new_id()
                self.revs.append(
                    Rev(
                        tip,
                        mtip + btip,
                        [],
                        self.rng.choice(
                            [
                                "merge heads",
                                "merge feature branch",
                                "merge migrations",
                                "Merge branches",
                            ]
                        ),
                        False,
                    )
                )
                until = self.rng.randint(15, 25)
            else:
                tip = self.revision(MAIN, (tip,))
                until -= 1
