"""The database password never appears in any output: text or JSON, diagnose or verify,
stdout or stderr, whichever way the URL was given and however connecting fails."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from _support import PASSWORD, AlembicProject, FlaskProject, Result, migrate_doctor
from conftest import PG_ROLE, Postgres

from migrate_doctor import api

COMMANDS = (
    ("diagnose", "--format", "json"),
    ("diagnose",),
    ("verify",),
    ("verify", "--drift", "--format", "json"),
)


def assert_secret_kept(result: Result) -> None:
    for name, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        assert PASSWORD not in text, f"the password is in {name}:\n{text}"
        assert PASSWORD not in re.sub(r"\s+", "", text), f"the password is in {name} (wrapped)"
    assert "Traceback" not in result.output, result.output
    assert result.code == 1, result.output


def run_everything(run: Callable[..., Result], *extra: str) -> list[Result]:
    results = []
    for command in COMMANDS:
        result = run(*command, *extra)
        assert_secret_kept(result)
        if "json" in command:
            data = result.json()
            assert PASSWORD not in json.dumps(data)
            if data.get("database"):
                assert "***" in data["database"]["url"] or "@" not in data["database"]["url"]
        results.append(result)
    return results


def unreachable(host: str = "db.invalid:5432") -> str:
    return f"postgresql+psycopg://{PG_ROLE}:{PASSWORD}@{host}/library"


def wrong_password(postgres: Postgres, *, in_query: bool = False) -> str:
    name = postgres.create_database()
    if in_query:
        return f"postgresql+psycopg://{PG_ROLE}@/{name}?host={postgres.socket_dir}&password={PASSWORD}"
    return postgres.url(name, user=PG_ROLE, password=PASSWORD)


# -- plain Alembic --------------------------------------------------------------------------

def test_url_option_unreachable_host(library: AlembicProject):
    results = run_everything(library.cli, "--url", unreachable())
    assert "database-unreachable" in results[0].stdout


def test_ini_wrong_password(library: AlembicProject, postgres: Postgres):
    library.set_url(wrong_password(postgres))
    results = run_everything(library.cli)
    report = results[0].json()
    (f,) = [f for f in report["findings"] if f["id"] == "database-unreachable"]
    assert f["evidence"]["reason"] == "authentication"
    assert report["database"]["url"].startswith(f"postgresql+psycopg://{PG_ROLE}:***@/")


def test_password_in_the_query_string(library: AlembicProject, postgres: Postgres):
    library.set_url(wrong_password(postgres, in_query=True))
    results = run_everything(library.cli)
    assert "password=***" in results[0].json()["database"]["url"]


def test_environment_url_refused_connection(library: AlembicProject):
    url = unreachable("127.0.0.1:1")
    results = run_everything(lambda *args: library.cli(*args, DATABASE_URL=url))
    assert "database-unreachable" in results[0].stdout


def test_invalid_scheme_with_password(library: AlembicProject):
    library.set_url(f"postgres://{PG_ROLE}:{PASSWORD}@db.invalid/library")
    results = run_everything(library.cli)
    assert "database-url-invalid" in results[0].stdout


def test_percent_interpolation_with_password(library: AlembicProject):
    library.set_raw_ini_url(f"postgresql+psycopg://{PG_ROLE}:{PASSWORD}%21@db.invalid/library")
    results = run_everything(library.cli)
    assert "database-url-invalid" in results[0].stdout


def test_encoded_password(library: AlembicProject):
    """A password with characters that must be percent-encoded in the URL."""
    library.set_url(f"postgresql+psycopg://{PG_ROLE}:{PASSWORD}%40home@db.invalid/library")
    for result in run_everything(library.cli):
        assert f"{PASSWORD}@home" not in result.output


def test_api_report_and_errors(library: AlembicProject, postgres: Postgres):
    """The Python API's Report (every finding, its repr and its dict) keeps it too."""
    for url in (unreachable(), wrong_password(postgres), wrong_password(postgres, in_query=True)):
        for function in (api.diagnose, api.verify):
            report = function(library.target(url))
            assert report.has_errors
            assert PASSWORD not in json.dumps(report.to_dict(), default=str)
            assert PASSWORD not in repr(report.findings)
            assert PASSWORD not in repr(report.database)


# -- Flask -----------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["flask db", "flask migrate-doctor", "migrate-doctor --app"])
def test_flask_wrong_password(blog: FlaskProject, postgres: Postgres, how: str):
    blog.url = wrong_password(postgres)

    def run(*args: str, **env: str) -> Result:
        if how == "migrate-doctor --app":
            return migrate_doctor("--app", "blog", *args, cwd=blog.root, DATABASE_URL=blog.url)
        return blog.flask(*how.split()[1:], *args, **env)

    results = run_everything(run)
    assert "database-unreachable" in results[0].stdout


def test_flask_factory_error_that_quotes_the_url(blog: FlaskProject):
    """The app fails before migrate-doctor learns the URL, with the URL in the message."""
    init = blog.package / "__init__.py"
    init.write_text(init.read_text().replace(
        "    db.init_app(app)\n",
        "    raise RuntimeError(f\"cannot use {app.config['SQLALCHEMY_DATABASE_URI']}\")\n"))
    blog.url = unreachable()

    results = run_everything(lambda *args: blog.flask("migrate-doctor", *args))
    assert "app-import-error" in results[0].stdout


# -- passwords made of every URL-special character ---------------------------------------------

PIECES = ["Kq7", "Wz4", "Rt2", "Lm9", "Vb5", "Hs3", "Jd8", "Np6", "Xc1", "Fg0", "Ty2", "Qe5",
          "Uo8", "Ia3", "Sd6", "Gh9", "Zx4", "Pw7", "Cv2"]
RAW_SPECIALS = "/#?:[]!$&'()*+,;="  # SQLAlchemy reads all of these raw in a password


def special_password(specials: str) -> str:
    return "".join(p + s for p, s in zip(PIECES, specials)) + PIECES[len(specials)]


def assert_no_piece(result: Result, password: str) -> None:
    for name, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        for piece in PIECES:
            if piece in password:
                assert piece not in text, f"a piece of the password ({piece}) is in {name}:\n{text}"
    assert "Traceback" not in result.output, result.output


SPECIAL_ROLE = "md_special"
CONNECTING = special_password(RAW_SPECIALS)


@pytest.fixture(scope="session")
def special_role(postgres: Postgres) -> str:
    postgres.add_password_role(SPECIAL_ROLE, CONNECTING, superuser=True)
    return SPECIAL_ROLE


EVERY_FORMAT = (
    ("diagnose",), ("diagnose", "--format", "json"),
    ("verify",), ("verify", "--format", "json"), ("verify", "--drift"),
    ("plan",), ("plan", "--format", "json"),
    ("lint", "--pending"), ("lint", "--pending", "--format", "json"),
    ("lint", "--pending", "--format", "sarif"), ("lint", "--pending", "--format", "github"),
)


def test_raw_special_characters_connect_and_stay_masked(library: AlembicProject, postgres: Postgres,
                                                        special_role: str):
    name = postgres.create_database()
    url = f"postgresql+psycopg://{special_role}:{CONNECTING}@/{name}?host={postgres.socket_dir}"
    library.set_url(postgres.url(name))
    library.upgrade("head")
    library.set_url(None)
    for command in EVERY_FORMAT:
        result = library.cli(*command, DATABASE_URL=url)
        assert_no_piece(result, CONNECTING)
        assert result.code in (0, 1), result.output
    verify = library.cli("verify", DATABASE_URL=url)
    assert verify.code == 0, verify.output  # SQLAlchemy connected with the raw password
    report = library.cli("diagnose", "--format", "json", DATABASE_URL=url).json()
    assert report["database"]["url"].startswith(f"postgresql+psycopg://{special_role}:***@/{name}")
    assert "%2F" not in report["database"]["url"]  # the rest stays as written
    target = only_target(report)
    assert "***" in target["message"]
    for command in (("diagnose", "--format", "json"), ("verify",)):
        assert_no_piece(library.cli("--url", url, *command), CONNECTING)


def only_target(report: dict) -> dict:
    (f,) = [f for f in report["findings"] if f["id"] == "target-database"]
    return f


@pytest.mark.parametrize("password", [
    special_password("@" + RAW_SPECIALS),  # a raw '@': SQLAlchemy reads the rest as the host
    special_password(" %@/#"),  # a space, a raw '%'
], ids=["raw-at", "space-and-percent"])
def test_passwords_that_cannot_connect_raw_stay_masked(library: AlembicProject, postgres: Postgres,
                                                       password: str):
    url = f"postgresql+psycopg://{PG_ROLE}:{password}@/library?host={postgres.socket_dir}"
    for command in EVERY_FORMAT:
        result = library.cli(*command, DATABASE_URL=url)
        assert_no_piece(result, password)
        assert result.code != 0, result.output


def test_percent_encoded_special_password_connects(library: AlembicProject, postgres: Postgres,
                                                   special_role: str):
    from urllib.parse import quote

    name = postgres.create_database()
    library.set_url(postgres.url(name))
    library.upgrade("head")
    url = (f"postgresql+psycopg://{special_role}:{quote(CONNECTING, safe='')}@/{name}"
           f"?host={postgres.socket_dir}")
    library.set_url(url)
    for command in EVERY_FORMAT:
        result = library.cli(*command)
        assert_no_piece(result, CONNECTING)
    assert library.cli("verify").code == 0


def test_flask_special_password(blog: FlaskProject, postgres: Postgres, special_role: str):
    name = postgres.create_database()
    blog.url = postgres.url(name)
    blog.upgrade()
    blog.url = f"postgresql+psycopg://{special_role}:{CONNECTING}@/{name}?host={postgres.socket_dir}"
    for command in EVERY_FORMAT:
        assert_no_piece(blog.flask("db", *command), CONNECTING)
    assert blog.flask("db", "verify").code == 0


def test_mask_agrees_with_sqlalchemy():
    """Our URL grammar (used where SQLAlchemy is not imported) reads the password SQLAlchemy
    reads, for every special character."""
    from sqlalchemy.engine import make_url

    from migrate_doctor.database.url import _SQLA_URL

    for special in RAW_SPECIALS + "@% ":
        for url in (f"postgresql://u:ab{special}cd@h/db", f"mysql+pymysql://u:{special}x@h:3306/d?a=b",
                    f"postgresql://u:p{special}@/db?host=/tmp/s"):
            m = _SQLA_URL.match(url)
            assert m is not None
            from urllib.parse import unquote

            assert unquote(m.group("password")) == make_url(url).password, url
