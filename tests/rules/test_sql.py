"""Reading the SQL of op.execute(): sqlglot where it parses, the text fallback where not."""

from __future__ import annotations

import logging

import pytest

from migrate_doctor.rules._sql import lint_sql, normalize, not_null_column, split_top_level
from migrate_doctor.rules._values import text_argument
from migrate_doctor.scripts.expressions import Call


def test_statements_are_split_outside_quotes_and_dollar_quotes() -> None:
    found = lint_sql("UPDATE users SET note = 'a;b' WHERE id = 1; "
                     "DO $$ BEGIN UPDATE x SET a = 1; END $$; DELETE FROM sessions", "postgresql")
    assert [s.kind for s in found] == ["update", "other", "delete"]
    assert found[0].has_where and found[0].parsed
    assert found[2].table == "sessions" and not found[2].has_where


def test_where_and_limit_of_a_subquery_are_not_the_statement_s() -> None:
    (delete,) = lint_sql("DELETE FROM users USING (SELECT 1 WHERE true) AS x", "postgresql")
    assert delete.parsed and not delete.has_where
    (update,) = lint_sql("UPDATE users SET a = 1 WHERE id IN "
                         "(SELECT id FROM users WHERE a IS NULL LIMIT 100)", "postgresql")
    assert update.has_where and update.batched and update.set_columns == ("a",)


def test_bound_parameters_mean_batched() -> None:
    (update,) = lint_sql("UPDATE users SET a = 1 WHERE id >= :lo AND id < :hi", "postgresql")
    assert update.batched
    (cast,) = lint_sql("UPDATE users SET a = b::text", "postgresql")
    assert not cast.batched


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite", None, "mssql"])
def test_unparseable_sql_falls_back_to_the_text(dialect: str | None) -> None:
    (statement,) = lint_sql("DELETE FROM users RETURNING ((( garbage", dialect)
    assert statement.kind == "delete" and statement.table == "users"
    assert not statement.has_where and not statement.parsed


def test_postgresql_ddl_that_sqlglot_keeps_opaque() -> None:
    (alter,) = lint_sql("ALTER TABLE ONLY public.users ADD CONSTRAINT users_phone_nn "
                        "CHECK (phone IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT other",
                        "postgresql")
    assert alter.kind == "alter_table" and alter.table == "users"
    ((name, kind, not_valid, body),) = alter.added_constraints()
    assert (name, kind, not_valid) == ("users_phone_nn", "check", True)
    assert not_null_column(body) == "phone"
    assert alter.validated_constraints() == ["other"]
    (enum,) = lint_sql("ALTER TYPE mood ADD VALUE IF NOT EXISTS 'happy' AFTER 'sad'", "postgresql")
    assert enum.enum_value_added() == "mood"
    (setting,) = lint_sql("SET LOCAL lock_timeout TO '5s'", "postgresql")
    assert setting.setting == "lock_timeout"


def test_alter_table_actions() -> None:
    (alter,) = lint_sql('ALTER TABLE "Users" DROP COLUMN IF EXISTS phone, ALTER COLUMN a '
                        "DROP DEFAULT, RENAME COLUMN b TO c", "postgresql")
    assert alter.table == "Users"
    assert alter.dropped_columns() == ["phone"]
    assert alter.renamed() == [("b", "c")]
    (fk,) = lint_sql("ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES "
                     "users (id) ON DELETE CASCADE", "postgresql")
    ((_name, kind, not_valid, body),) = fk.added_constraints()
    assert (kind, not_valid, fk.references(body)) == ("foreignkey", False, ("users", "CASCADE"))


def test_mysql_backticks() -> None:
    (update,) = lint_sql("UPDATE `users` SET `a` = 1 ORDER BY id LIMIT 100", "mysql")
    assert update.table == "users" and update.batched and not update.has_where


def test_sqlglot_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        lint_sql("ALTER TYPE mood ADD VALUE 'x'; REINDEX INDEX CONCURRENTLY ix", "postgresql")
    assert not [r for r in caplog.records if r.name.startswith("sqlglot")]


def test_text_helpers() -> None:
    assert normalize("SELECT 1 -- no; comment\n /* x */ ;") == "SELECT 1"
    assert normalize("SELECT '--not a comment'") == "SELECT '--not a comment'"
    assert split_top_level("a, f(b, c), 'd,e'", ",") == ["a", "f(b, c)", "'d,e'"]
    assert lint_sql("   ", "postgresql") == []
    source = 'sa.text("DELETE FROM users WHERE id = :id").bindparams(id=1)'
    assert text_argument(Call("sa.text().bindparams", (), {"id": 1}, source)) == \
        "DELETE FROM users WHERE id = :id"


def test_mysql_key_and_index_actions_are_not_columns() -> None:
    (alter,) = lint_sql("ALTER TABLE health_monitor DROP PRIMARY KEY, ADD PRIMARY KEY(id), "
                        "DROP INDEX uq_x, DROP KEY k_y, DROP FOREIGN KEY fk_z, DROP CHECK ck, "
                        "ADD UNIQUE KEY uq (a, b), ADD INDEX ix (c), ADD KEY k (d), "
                        "DROP COLUMN `index`, ADD COLUMN `key` int", "mysql")
    assert alter.dropped_columns() == ["index"]
    assert alter.added_columns() == [("key", "int")]
    (pg,) = lint_sql("ALTER TABLE t DROP COLUMN key, DROP old, ADD note text, "
                     "ADD COLUMN IF NOT EXISTS tag text", "postgresql")
    assert pg.dropped_columns() == ["key", "old"]
    assert pg.added_columns() == [("note", "text"), ("tag", "text")]
