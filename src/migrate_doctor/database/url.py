"""Database URLs: masking, the secrets to redact, and the dialect.

A URL is split the way SQLAlchemy splits it (``make_url``), so that whatever SQLAlchemy
would send as the password is what gets masked, raw ``/``, ``#``, ``?`` or ``:`` in it
included. SQLAlchemy's parser is used when SQLAlchemy is already imported; the lint path,
which never imports it, uses the same grammar restated below (tests hold the two to the
same answers). A raw ``@`` in a password makes SQLAlchemy read the rest as part of the
host; the mask then reaches to the last ``@`` of the host, so no part of it shows.
"""

from __future__ import annotations

import re
import sys
from urllib.parse import parse_qsl, quote, quote_plus, unquote

# SQLAlchemy's URL grammar (sqlalchemy.engine.url._parse_url), restated to keep spans.
_SQLA_URL = re.compile(
    r"""(?P<name>[\w+]+)://
        (?:(?P<username>[^:/]*)(?::(?P<password>[^@]*))?@)?
        (?:(?:\[(?P<ipv6host>[^/?]+)\]|(?P<ipv4host>[^/:?]+))?(?::(?P<port>[^/?]*))?)?
        (?:/(?P<database>[^?]*))?
        (?:\?(?P<query>.*))?""", re.X | re.S)
# The same, for URLs inside free text (a message): no part runs over whitespace.
_TEXT_URL = re.compile(
    r"""(?P<name>[\w+]+)://
        (?:(?P<username>[^:/\s]*)(?::(?P<password>[^@\s]*))?@)?
        (?:(?:\[(?P<ipv6host>[^/?\s]+)\]|(?P<ipv4host>[^/:?\s]+))?(?::(?P<port>[^/?\s]*))?)?
        (?:/(?P<database>[^?\s]*))?
        (?:\?(?P<query>\S*))?""", re.X)
_QUERY_PW = re.compile(r"(?i)\b(password|passwd|pwd)=([^&\s'\"]+)")
MASK = "***"


def _password_span(m: re.Match[str]) -> tuple[int, int] | None:
    """Where the password is in the matched URL. SQLAlchemy ends it at the first ``@``;
    a raw ``@`` in a password puts the rest of it into the host, database or query, so
    the span reaches to the last ``@`` of the URL."""
    if m.group("password") is None:
        return None
    start = m.start("password")
    end = m.start() + m.group(0).rindex("@")
    return start, max(end, m.end("password"))


def raw_at_in_password(url: str) -> bool:
    """True when SQLAlchemy would cut the password at a raw ``@`` inside it."""
    m = _SQLA_URL.match(url)
    return bool(m and m.group("password") is not None and "@" in url[m.end("password") + 1:])


def _mask_match(m: re.Match[str]) -> str:
    text = m.group(0)
    span = _password_span(m)
    if span is not None:
        start, end = span[0] - m.start(), span[1] - m.start()
        text = text[:start] + MASK + text[end:]
    return _QUERY_PW.sub(lambda q: f"{q.group(1)}={MASK}", text)


def mask_url(url: str | None) -> str:
    """``postgresql://app:secret@db/prod`` -> ``postgresql://app:***@db/prod``; the rest
    of the URL is left exactly as written (no re-encoding)."""
    if not url:
        return ""
    url = str(url)
    m = _SQLA_URL.match(url)
    if m is None:
        return mask_text(url)
    return _mask_match(m) + mask_text(url[m.end():])


def mask_text(text: str) -> str:
    """Every URL inside a piece of text, masked."""
    if "://" not in text and "=" not in text:
        return text
    out = _TEXT_URL.sub(_mask_match, text)
    return _QUERY_PW.sub(lambda q: f"{q.group(1)}={MASK}", out)


def _sqlalchemy_password(url: str) -> tuple[str | None, list[str]]:
    """SQLAlchemy's own reading: the password and the query's password values."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - not a URL SQLAlchemy reads: the grammar decides
        return None, []
    values = parsed.query.get("password") or ()
    return parsed.password, [values] if isinstance(values, str) else list(values)


def url_secrets(url: str | None) -> set[str]:
    """The password of a URL in every form it may be printed in (as written, decoded,
    percent-encoded), to be redacted wherever it appears."""
    out: set[str] = set()
    if not url:
        return out
    url = str(url)
    raw: list[str] = []
    m = _SQLA_URL.match(url)
    if m is not None:
        span = _password_span(m)
        if span is not None:
            raw.append(url[span[0]:span[1]])
            raw.append(m.group("password"))
            raw.extend(url[span[0]:span[1]].split("@"))  # what SQLAlchemy reads as parts
        if m.group("query"):
            raw.extend(v for k, v in parse_qsl(m.group("query"), keep_blank_values=True)
                       if k.lower() in ("password", "passwd", "pwd"))
    raw.extend(q.group(2) for q in _QUERY_PW.finditer(url))
    if "sqlalchemy" in sys.modules:
        password, query = _sqlalchemy_password(url)
        raw.extend(p for p in (password, *query) if p)
    for value in raw:
        for form in (value, unquote(value)):
            out.update({form, quote(form, safe=""), quote_plus(form)})
    return {s for s in out if len(s) >= 3 and s != MASK}


def redact(text: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return mask_text(text)


def dialect_of(url: str | None) -> str | None:
    """``postgresql+psycopg://...`` -> ``postgresql`` (no SQLAlchemy import)."""
    if not url or "://" not in url:
        return None
    name = url.split("://", 1)[0].split("+", 1)[0].lower()
    return {"postgres": "postgresql", "mariadb": "mysql"}.get(name, name)


def with_database(url: str, database: str) -> str:
    """The URL with another database name, the rest exactly as written (re-rendering it
    through SQLAlchemy would percent-encode the query, which an env.py passing it to
    ``config.set_main_option`` then trips over as interpolation)."""
    m = _SQLA_URL.match(url)
    if m is None:
        raise ValueError("not a database URL")
    if m.group("database") is not None:
        start, end = m.span("database")
        return url[:start] + database + url[end:]
    cut = m.start("query") - 1 if m.group("query") is not None else m.end()
    return url[:cut] + "/" + database + url[cut:]
