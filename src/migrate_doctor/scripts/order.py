"""Revision files in upgrade order, for linting: a plain topological sort over
down_revision and depends_on that needs neither SQLAlchemy nor Alembic (the lint path
stays light). Graph questions proper (heads, ranges, pending) go to graph.Graph."""

from __future__ import annotations

from .revision_file import RevisionFile


def upgrade_order(files: list[RevisionFile]) -> list[RevisionFile]:
    by_id: dict[str, RevisionFile] = {}
    for f in files:
        if f.revision:
            by_id.setdefault(f.revision, f)
    labels = {label: f.revision for f in by_id.values() for label in f.branch_labels}
    parents = {
        rev: [p for p in (*f.down_revisions, *(labels.get(d, d) for d in f.depends_on))
              if p in by_id and p != rev]
        for rev, f in by_id.items()
    }
    children: dict[str, list[str]] = {rev: [] for rev in by_id}
    waiting = {rev: len(set(ps)) for rev, ps in parents.items()}
    for rev, ps in parents.items():
        for p in set(ps):
            children[p].append(rev)
    ready = [rev for rev in by_id if waiting[rev] == 0]
    order: list[str] = []
    while ready:
        rev = ready.pop(0)
        order.append(rev)
        for child in children[rev]:
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    seen = set(order)
    order.extend(rev for rev in by_id if rev not in seen)  # a cycle: keep file order
    return [by_id[rev] for rev in order]


def ancestors(files: list[RevisionFile], rev: str) -> set[str]:
    """``rev`` and every revision below it, following down_revision."""
    by_id = {f.revision: f for f in files if f.revision}
    found: set[str] = set()
    stack = [rev]
    while stack:
        current = stack.pop()
        if current in found or current not in by_id:
            continue
        found.add(current)
        stack.extend(by_id[current].down_revisions)
    return found


def heads(files: list[RevisionFile]) -> list[str]:
    """Revisions no other revision names as its down_revision."""
    parents = {p for f in files for p in f.down_revisions}
    return [f.revision for f in files if f.revision and f.revision not in parents]


def resolve_revision(ids: list[str], text: str, history: str = "alembic history") -> str:
    """A full revision id from a full or unique partial id (as Alembic accepts them);
    ``history`` is the project's command that lists them."""
    from ..errors import UsageError

    if text in ids:
        return text
    matches = [r for r in ids if r.startswith(text)]
    if len(matches) == 1:
        return matches[0]
    why = "matches several revisions" if matches else "matches no revision"
    raise UsageError(f"revision {text!r} {why}", f"give a revision id from `{history}`")
