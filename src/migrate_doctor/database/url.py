"""Database URLs: masking and the dialect, without importing SQLAlchemy."""

from __future__ import annotations

import re
from urllib.parse import unquote

_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^:/@?#\s]*):(?P<pw>[^@/?#\s]*)@")
_QUERY_PW = re.compile(r"(?i)\b(password|passwd|pwd)=([^&\s]+)")


def mask_url(url: str | None) -> str:
    """``postgresql://app:secret@db/prod`` -> ``postgresql://app:***@db/prod``."""
    if not url:
        return ""
    masked = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", str(url))
    return _QUERY_PW.sub(lambda m: f"{m.group(1)}=***", masked)


def url_secrets(url: str | None) -> set[str]:
    """The password of a URL (raw and unquoted), to be redacted wherever it appears."""
    out: set[str] = set()
    if not url:
        return out
    m = _USERINFO.search(str(url))
    if m and m["pw"]:
        out.update({m["pw"], unquote(m["pw"])})
    for qm in _QUERY_PW.finditer(str(url)):
        out.update({qm.group(2), unquote(qm.group(2))})
    return {s for s in out if len(s) >= 3}


def redact(text: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return mask_url(text) if "://" in text else text


def dialect_of(url: str | None) -> str | None:
    """``postgresql+psycopg://...`` -> ``postgresql`` (no SQLAlchemy import)."""
    if not url or "://" not in url:
        return None
    name = url.split("://", 1)[0].split("+", 1)[0].lower()
    return {"postgres": "postgresql", "mariadb": "mysql"}.get(name, name)
