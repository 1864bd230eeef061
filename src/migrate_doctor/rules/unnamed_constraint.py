"""A constraint dropped with no name, or created with none where its name depends on the
database.

What it finds:
    - `op.drop_constraint(None, ...)` (also in batch mode), in upgrade() or downgrade(): an
      error, it always fails. The fix names the constraint as the database really named
      it: the naming convention of env.py, else PostgreSQL's `{table}_{columns}_fkey` /
      `_key` / `_check` / `{table}_pkey`, MySQL's `{table}_ibfk_N` / first column / `PRIMARY`,
      and on SQLite (where it has no name) batch mode's `naming_convention` recipe.
    - `op.create_foreign_key(None, ...)`, `op.create_unique_constraint(None, ...)`,
      `op.create_check_constraint(None, ...)`, `op.create_primary_key(None, ...)` (also in
      batch mode), when the name the constraint gets depends on the database: the target
      is SQLite (no name at all) or unknown, or the project runs on several databases
      (env.py renders batch mode or names another database, or a revision tests the
      dialect). Quiet when the metadata has a naming convention (the constraint is then
      named by it: env.py or the project's models say so, or a revision reads
      `metadata.naming_convention`), for a project on PostgreSQL or MySQL alone, which name unnamed
      constraints predictably, and for a create behind a dialect test that only the target
      passes.

Why it matters:
    `drop_constraint(None, ...)` fails outright: `Constraint must have a name`. A
    constraint created without a name is called `orders_user_id_fkey` on PostgreSQL,
    `orders_ibfk_1` on MySQL and nothing on SQLite, so a project that runs on several of
    them cannot drop it later by one name (and batch mode on SQLite cannot find it).

Example:
    op.create_foreign_key(None, "orders", "users", ["user_id"], ["id"])
    # downgrade():
    op.drop_constraint(None, "orders", type_="foreignkey")

Use instead:
    op.create_foreign_key("orders_user_id_fkey", "orders", "users", ["user_id"], ["id"])
    # downgrade():
    op.drop_constraint("orders_user_id_fkey", "orders", type_="foreignkey")
    and give the models a naming convention so autogenerate names them:
    MetaData(naming_convention={
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", ...})
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.operations import Operation
from ._constraints import (Named, columns_of, database_name, revisions_name_constraints,
                           several_databases)
from ._fixes import batch_block
from ._history import key
from ._values import name_of, render

_KIND = {"create_foreign_key": "foreignkey", "create_unique_constraint": "unique",
         "create_check_constraint": "check", "create_primary_key": "primary"}
_CONVENTION = {
    "foreignkey": ("fk", "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"),
    "unique": ("uq", "uq_%(table_name)s_%(column_0_name)s"),
    "check": ("ck", "ck_%(table_name)s_%(constraint_name)s"),
    "primary": ("pk", "pk_%(table_name)s"),
}
_ADVICE = ("# and name constraints in the models: MetaData(naming_convention={"
           '"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", '
           '"uq": "uq_%(table_name)s_%(column_0_name)s", '
           '"ck": "ck_%(table_name)s_%(constraint_name)s", '
           '"pk": "pk_%(table_name)s", "ix": "ix_%(column_0_label)s"})')


def _unnamed(op: Operation) -> bool:
    return (op.name in _KIND or op.name == "drop_constraint") \
        and op.get("constraint_name", "missing") is None


def _kind(op: Operation) -> str | None:
    if op.name == "drop_constraint":
        kind = op.get("type_")
        return kind if isinstance(kind, str) else None
    return _KIND[op.name]


def _call(op: Operation, name: str) -> str:
    """The op as written, with ``name`` for the missing constraint name."""
    args = [name if i == 0 else a for i, a in enumerate(op.args)]
    params = [render(a) for a in args] + [
        f"{k}={render(name if k == 'constraint_name' else v)}" for k, v in op.kwargs.items()]
    return f"{op.receiver}.{op.name}({', '.join(params)})"


def _created_name(ctx: RuleContext, create: Operation, table: str) -> Named:
    """The name an unnamed create of this revision gave (or gives) the constraint."""
    kind = _KIND[create.name]
    columns = columns_of(create)
    referent = create.get("referent_table")
    condition = create.get("condition")
    same = [o for o in ctx.upgrade + ctx.downgrade
            if o.function == create.function and o.name == create.name and _unnamed(o)
            and key(ctx.table_of(o) or "") == key(table)]
    before = same[:same.index(create)] if create in same else []
    known = {c.name.lower() for c in ctx.after.constraints.values() if c.table == key(table)}
    taken = set(known)
    number = 1 + sum(1 for fk in ctx.history.foreign_keys
                     if fk.table == key(table) and fk.name is None)
    for other in before:  # earlier unnamed constraints of the revision took their names
        named = database_name(ctx, _KIND[other.name], table, columns_of(other),
                              other.get("referent_table"), _text(other.get("condition")),
                              taken, number)
        if named.name:
            taken.add(named.name.lower())
        if other.name == "create_foreign_key":
            number += 1
    return database_name(ctx, kind, table, columns, referent if isinstance(referent, str)
                         else None, _text(condition), taken, number)


def _only_here(ctx: RuleContext, op: Operation) -> bool:
    """True when a dialect test keeps the op from running on every other database: it is
    created (and named) by the target alone."""
    from ._guards import skipped_lines

    cache: dict[str, list[tuple[int, int]]] = ctx.__dict__.setdefault("_skipped_by", {})
    for other in ("postgresql", "mysql", "sqlite"):
        if other == ctx.dialect:
            continue
        if other not in cache:
            cache[other] = skipped_lines(ctx.file.tree, other)
        if not any(start <= op.line <= end for start, end in cache[other]):
            return False
    return True


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    from ._values import text_argument

    return text_argument(value)


def _paired_create(ctx: RuleContext, drop: Operation, table: str) -> Operation | None:
    """The create this unnamed drop undoes: downgrade() undoes upgrade()'s creates of the
    same kind on the same table, in reverse order; those it drops by name are left out."""
    kind = _kind(drop)
    other = ctx.upgrade if drop.function == "downgrade" else ctx.downgrade
    mine = ctx.downgrade if drop.function == "downgrade" else ctx.upgrade

    def same(o: Operation) -> bool:
        return key(ctx.table_of(o) or "") == key(table)

    creates = [o for o in other if o.name in _KIND and _KIND[o.name] == kind and same(o)]
    named_drops = {key(n) for o in mine if o.name == "drop_constraint" and same(o)
                   for n in [name_of(o.get("constraint_name"))] if n}
    creates = [o for o in creates if not (name_of(o.get("constraint_name")) and
                                          key(name_of(o.get("constraint_name")) or "")
                                          in named_drops)]
    drops = [o for o in mine if o.name == "drop_constraint" and _unnamed(o)
             and _kind(o) == kind and same(o)]
    if len(creates) == 1:
        return creates[0]
    if creates and len(creates) == len(drops):
        return list(reversed(creates))[drops.index(drop)]
    return None


def _dropped_name(ctx: RuleContext, drop: Operation, table: str) -> tuple[Named, str]:
    """The name of the constraint an unnamed drop means, and what it was found from."""
    kind = _kind(drop)
    other = "upgrade" if drop.function == "downgrade" else "downgrade"
    create = _paired_create(ctx, drop, table)
    if create is not None:
        given = name_of(create.get("constraint_name"))
        if given:
            return Named(given, "named"), f"created under that name in {other}()"
        return _created_name(ctx, create, table), f"created unnamed in {other}()"
    if kind == "foreignkey":
        fks = [fk for fk in ctx.history.foreign_keys
               if fk.table == key(table) and fk.name is None and fk.columns]
        if len(fks) == 1:
            unnamed = [fk for fk in ctx.history.foreign_keys
                       if fk.table == key(table) and fk.name is None]
            number = unnamed.index(fks[0]) + 1
            return (database_name(ctx, kind, table, list(fks[0].columns), fks[0].referent,
                                  None, None, number),
                    f"the foreign key of {table}({', '.join(fks[0].columns)}) created unnamed "
                    f"in revision {fks[0].revision}")
    if kind == "primary":
        return database_name(ctx, kind, table, []), "the table's primary key"
    named = [c.name for c in ctx.after.constraints.values()
             if c.table == key(table) and c.kind == kind]
    if len(named) == 1:  # the one constraint of that kind the revisions named on the table
        return Named(named[0], "named"), \
            f"the only {kind} constraint the revisions named on {table}"
    return Named(None, "unknown"), ""


def _sqlite_drop(ctx: RuleContext, drop: Operation, table: str, kind: str,
                 columns: list[str], referent: str | None, given: str | None
                 ) -> tuple[str, tuple[str, int, int] | None] | None:
    """In batch mode: by its name when it was created with one, else through a naming
    convention, by which batch mode names the unnamed constraint it reflects."""
    if given:
        name, convention = given, None
    else:
        if kind not in ("foreignkey", "unique") or not columns:
            return None
        token, template = _CONVENTION[kind]
        values = {"table_name": table, "column_0_name": columns[0],
                  "referred_table_name": referent or ""}
        name = template % values
        convention = f"{{{render(token)}: {render(template)}}}"
    schema = drop.kwargs.get("schema", drop.batch_kwargs.get("schema"))
    extra = "".join(f", {k}={render(v)}" for k, v in drop.batch_kwargs.items()
                    if k != "naming_convention")
    if not drop.is_batch and isinstance(schema, str):
        extra += f", schema={render(schema)}"
    if convention:
        extra += f", naming_convention={convention}"
    head = f"with op.batch_alter_table({render(table)}{extra}) as batch_op:"
    line = f'batch_op.drop_constraint({render(name)}, type_={render(kind)})'
    if not drop.is_batch:
        return "\n".join([head, f"    {line}"]), None
    found = batch_block(ctx.file, drop)
    if found is None:
        return None
    start, end, body = found
    at, last = drop.line - start, drop.end_line - start
    indent = body[at][:len(body[at]) - len(body[at].lstrip())]
    receiver = drop.receiver
    head = head.replace("as batch_op:", f"as {receiver}:")
    line = line.replace("batch_op.", f"{receiver}.")
    return "\n".join([head, *body[1:at], indent + line, *body[last + 1:]]), \
        ("replace", start, end)


@rule("unnamed-constraint", Severity.WARNING,
      "Constraint dropped without a name, or created without one on several databases")
def run(ctx: RuleContext) -> Iterator[Hit]:
    portable: bool | None = None
    for op in ctx.upgrade + ctx.downgrade:
        if not _unnamed(op):
            continue
        table = ctx.table_of(op) or "<table>"
        kind = _kind(op)
        if op.name == "drop_constraint":
            yield _drop_hit(ctx, op, table, kind)
            continue
        if ctx.facts.names_constraints or revisions_name_constraints(ctx):
            continue  # the naming convention names it
        if portable is None:
            portable = several_databases(ctx)
        if ctx.dialect in ("postgresql", "mysql") and (not portable or _only_here(ctx, op)):
            continue  # one database, which names it predictably
        named = _created_name(ctx, op, table)
        columns = columns_of(op)
        if named.name is None:  # SQLite or unknown: a conventional name
            referent = op.get("referent_table")
            parts = [_CONVENTION[_KIND[op.name]][0], table, *columns[:1]]
            if op.name == "create_foreign_key" and isinstance(referent, str):
                parts.append(referent)
            name = "_".join(parts)
        else:
            name = named.name
        where = {"sqlite": "SQLite gives it no name at all",
                 None: "each database names it its own way"}.get(
            ctx.dialect, f"{ctx.dialect} calls it {name}, but the project also runs on "
                         "other databases, which name it differently")
        fix = "\n".join([_call(op, name), _ADVICE])
        yield ctx.hit(
            f"{op.name} on {table} has no name: {where}, so no later revision can drop it "
            "by one name", fix, op, table=table, operation=op.name, function=op.function,
            name=name)


def _drop_hit(ctx: RuleContext, op: Operation, table: str, kind: str | None) -> Hit:
    named, source = _dropped_name(ctx, op, table) if kind else (Named(None, "unknown"), "")
    fix_at = None
    if ctx.dialect == "sqlite" and kind:
        create = _paired_create(ctx, op, table)
        columns = columns_of(create) if create is not None else []
        ref = create.get("referent_table") if create is not None else None
        given = named.name if named.how == "named" else None
        recipe = _sqlite_drop(ctx, op, table, kind, columns,
                              ref if isinstance(ref, str) else None, given)
        if recipe is not None:
            fix, fix_at = recipe
            why = (f"; in batch mode it is found by its name {given}" if given else
                   ", and SQLite keeps no name for it; batch mode can find it through a "
                   "naming convention")
            return ctx.hit(
                f"drop_constraint on {table} has no name: it fails ('Constraint must have a "
                f"name'){why}", fix, op, Severity.ERROR, fix_at=fix_at, table=table,
                operation=op.name, function=op.function)
    if named.name is not None:
        how = {"convention": "the naming convention of env.py names it",
               "postgresql": "PostgreSQL named it",
               "mysql": "MySQL named it"}.get(named.how, "it is")
        fix = _call(op, named.name)
        if named.how == "mysql" and kind == "foreignkey":
            fix += f"\n# MySQL numbers foreign keys in creation order: check SHOW CREATE TABLE {table}"
        said = f"; {how} {named.name}" + (f" ({source})" if source else "")
    else:
        lookup = {"postgresql": f"SELECT conname FROM pg_constraint WHERE conrelid = "
                                f"'{table}'::regclass",
                  "mysql": f"SHOW CREATE TABLE {table}"}.get(ctx.dialect or "", "")
        fix = "\n".join([
            f"# the name the constraint has in the database{': ' + lookup if lookup else ''}",
            _call(op, f"<name of the {kind or 'constraint'} on {table}>"),
        ])
        said = ""
    return ctx.hit(
        f"drop_constraint on {table} has no name: it fails ('Constraint must have a "
        f"name'){said}", fix, op, Severity.ERROR, fix_at=fix_at, table=table,
        operation=op.name, function=op.function, name=named.name)


def sqlite_drop_fix(ctx: RuleContext, op: Operation, table: str
                    ) -> tuple[str, tuple[str, int, int] | None] | None:
    """For sqlite-alter-without-batch: an unnamed drop in batch form, by the name it was
    created under or through a naming convention (None when neither can be known)."""
    kind = _kind(op)
    if not kind:
        return None
    named, _source = _dropped_name(ctx, op, table)
    create = _paired_create(ctx, op, table)
    columns = columns_of(create) if create is not None else []
    ref = create.get("referent_table") if create is not None else None
    given = named.name if named.how == "named" else None
    return _sqlite_drop(ctx, op, table, kind, columns, ref if isinstance(ref, str) else None,
                        given)
