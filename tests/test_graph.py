"""`graph`: the revision graph as a terminal tree, Mermaid and one self-contained HTML file.
The HTML is opened in a real headless Chromium (Debian's `chromium`; .ci/run installs it)
driven over the DevTools protocol (--remote-debugging-pipe), with the network cut off:
it lays out, zooms, and shows a revision's operations and findings on a real click,
also for a generated 600-revision history."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from _support import migrate_doctor
from test_test_command import ADD_NOTE, CREATE_ITEMS, MigrationProject

from migrate_doctor import api
from migrate_doctor.graph import render_graph

BENCH = Path(__file__).resolve().parents[1] / "bench"

INDEX = ("c3000000index", "b2000000note", "index items.name", """
    op.create_index("ix_items_name", "items", ["name"])
""", """
    op.drop_index("ix_items_name", table_name="items")
""")
SIDE = ("d4000000side", "a1000000create", "drop items.qty", """
    op.drop_column("items", "qty")
""", """
    op.add_column("items", sa.Column("qty", sa.Integer(), nullable=True))
""")
MERGE = ("e5000000merge", ("c3000000index", "d4000000side"), "merge heads", "pass", "pass")


@pytest.fixture
def branchy(tmp_path):
    """create -> note -> index, create -> side; both merged. The live SQLite database has
    applied create and note."""
    url = f"sqlite:///{tmp_path / 'live.db'}"
    shop = MigrationProject(tmp_path / "shop", url, [CREATE_ITEMS, ADD_NOTE, INDEX, SIDE, MERGE])
    import sqlite3

    with sqlite3.connect(tmp_path / "live.db") as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('b2000000note')")
    return shop


def graph_report(shop: MigrationProject, **kwargs: Any) -> api.Report:
    cwd = os.getcwd()
    os.chdir(shop.root)
    try:
        return api.graph(api.Target(config=str(shop.ini)), **kwargs)
    finally:
        os.chdir(cwd)


def test_tree_marks_branches_merges_heads_current_and_pending(branchy):
    text = render_graph(graph_report(branchy), "text")
    lines = text.splitlines()

    assert lines[0].startswith("○ e5000000merge  (head, pending, merge)")
    assert "├─╮" in lines[1]
    assert any("b2000000note  (current) [expand] add items.note" in line for line in lines)
    assert any("d4000000side  (pending) [contract] drop items.qty" in line for line in lines)
    assert any("c3000000index  (pending) [expand] index items.name" in line for line in lines)
    assert any("├─╯" in line for line in lines)  # the two branches join at create
    assert any(line.startswith("● a1000000create  (branch point) [expand]") for line in lines)
    assert "◉ current  ○ pending  ● applied" in text
    # the database's own revision gets the current mark
    assert re.search(r"◉ .*b2000000note", text)


def test_tree_without_a_database(tmp_path):
    shop = MigrationProject(tmp_path / "shop", "", [CREATE_ITEMS, ADD_NOTE])
    result = migrate_doctor("-c", str(shop.ini), "graph", cwd=shop.root)
    assert result.code == 0, result.output
    assert result.stdout.splitlines()[:2] == [
        "● b2000000note  (head) [expand] add items.note",
        "● a1000000create  [expand] create items"]


def test_mermaid(branchy):
    text = render_graph(graph_report(branchy), "mermaid")
    lines = text.splitlines()

    assert lines[0] == "flowchart BT"
    assert '  r_e5000000merge{{"e5000000merge<br/>merge heads<br/><i>head · pending</i>"}}' in lines
    edges = [line for line in lines if "-->" in line]
    assert sorted(edges) == sorted([
        "  r_a1000000create --> r_b2000000note", "  r_b2000000note --> r_c3000000index",
        "  r_a1000000create --> r_d4000000side", "  r_c3000000index --> r_e5000000merge",
        "  r_d4000000side --> r_e5000000merge"])
    assert "  class r_b2000000note current" in lines
    assert any(line.startswith("  class ") and "r_d4000000side" in line and
               line.endswith(" contract") for line in lines)


def test_html_is_one_file_that_fetches_nothing(branchy):
    page = render_graph(graph_report(branchy, findings=True), "html")

    assert page.startswith("<!DOCTYPE html>")
    # nothing to fetch: no external script, style, image or font
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page  # and the page forbids it anyway
    data = json.loads(re.search(r'<script type="application/json" id="graph-data">(.*?)</script>',
                                page, re.S).group(1))
    nodes = {n["id"]: n for n in data["nodes"]}
    assert nodes["c3000000index"]["operations"][0]["source"].startswith(
        'op.create_index("ix_items_name"')
    assert [f["id"] for f in nodes["d4000000side"]["findings"]] == ["drop-column"]  # lint's


def test_html_keeps_user_text_as_text(tmp_path):
    evil = ("a1000000create", None, 'create </script><img src=x onerror=alert(1)>', "pass",
            "pass")
    shop = MigrationProject(tmp_path / "shop", "", [evil])
    page = render_graph(graph_report(shop), "html")
    assert "</script><img" not in page


# -- in a real browser ------------------------------------------------------------------------

def chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Browser:
    """Headless Chromium over the DevTools protocol on a pipe (fds 3 and 4), offline."""

    def __init__(self, binary: str, profile: Path) -> None:
        to_child, self._write = os.pipe()
        self._read, from_child = os.pipe()

        def fds() -> None:  # in the child: the pipe's ends on fds 3 and 4, kept on exec
            import fcntl

            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_child, from_child)]
            for fd, target in zip(high, (3, 4)):
                os.dup2(fd, target, inheritable=True)

        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", f"--user-data-dir={profile}", "--remote-debugging-pipe",
             "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
             "--window-size=1200,800", "about:blank"],
            preexec_fn=fds, close_fds=False, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(to_child)
        os.close(from_child)
        self._id = 0
        self._buffer = b""
        self.events: list[dict[str, Any]] = []
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget", targetId=page["targetId"],
                                 flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.call(f"{domain}.enable", session=True)

    def call(self, method: str, session: bool = False, timeout: float = 60, **params: Any) -> Any:
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = self._next(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)
        raise TimeoutError(method)

    def _next(self, deadline: float) -> dict[str, Any]:
        import select

        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._read], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError("no answer from chromium")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium went away")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def js(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", session=True, expression=expression,
                           returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def open(self, url: str, timeout: float = 60) -> float:
        start = time.monotonic()
        self.call("Page.navigate", session=True, url=url)
        while time.monotonic() - start < timeout:
            if self.js("document.body && document.body.getAttribute('data-ready')") == "1":
                return time.monotonic() - start
            time.sleep(0.05)
        raise TimeoutError(f"{url} never got ready")

    def click(self, x: float, y: float, **extra: Any) -> None:
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", session=True, type=kind, x=x, y=y,
                      button="left", clickCount=1, **extra)

    def errors(self) -> list[Any]:
        return [e for e in self.events if e.get("method") in
                ("Runtime.exceptionThrown", "Log.entryAdded") and
                (e["method"] == "Runtime.exceptionThrown" or
                 e["params"]["entry"].get("level") == "error")]

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events
                if e.get("method") == "Network.requestWillBeSent"]

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=10)
        except Exception:  # noqa: BLE001 - it is going away in any case
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._write)
        os.close(self._read)


@pytest.fixture
def browser(tmp_path):
    binary = chromium_binary()
    if binary is None:
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run does)")
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    b = Browser(binary, profile)
    try:
        yield b
    finally:
        b.close()


def _center(browser: Browser, selector: str) -> tuple[float, float]:
    box = browser.js(f"(function(){{var r=document.querySelector({json.dumps(selector)})"
                     ".getBoundingClientRect();return [r.x + r.width / 2, r.y + r.height / 2];})()")
    return box[0], box[1]


def test_html_in_a_browser_click_zoom_and_link(branchy, browser, tmp_path):
    path = tmp_path / "graph.html"
    path.write_text(render_graph(graph_report(branchy, findings=True), "html"))

    browser.open(path.as_uri())

    assert browser.js("document.querySelectorAll('#viewport .node').length") == 5
    assert browser.js("document.querySelectorAll('#viewport .edge').length") == 5
    assert "current: b2000000note, 3 pending" in browser.js(
        "document.getElementById('summary').textContent")
    # a real click on a node shows its operations and findings
    x, y = _center(browser, '.node[data-id="d4000000side"] circle')
    browser.click(x, y)
    panel = browser.js("document.getElementById('panel').innerText")
    assert panel.startswith("d4000000side")
    assert 'op.drop_column("items", "qty")' in panel
    assert 'op.add_column("items", sa.Column("qty", sa.Integer(), nullable=True))' in panel
    assert "Findings (1)" in panel and "drop-column" in panel
    assert "pending (not applied)" in panel
    assert browser.js("location.hash") == "#rev=d4000000side"
    # zoom: the button and Ctrl + wheel
    before = float(browser.js("document.getElementById('graph').getAttribute('data-zoom')"))
    x, y = _center(browser, "#zoom-in")
    browser.click(x, y)
    zoomed = float(browser.js("document.getElementById('graph').getAttribute('data-zoom')"))
    assert zoomed == pytest.approx(before * 1.25, rel=0.01)
    browser.call("Input.dispatchMouseEvent", session=True, type="mouseWheel", x=300, y=300,
                 deltaX=0, deltaY=-300, modifiers=2)  # Ctrl
    assert float(browser.js(
        "document.getElementById('graph').getAttribute('data-zoom')")) > zoomed
    # a link to a revision opens it
    browser.open(path.as_uri() + "#rev=c3000000index")
    assert browser.js("document.getElementById('panel').getAttribute('data-rev')") == "c3000000index"
    shot = base64.b64decode(browser.call("Page.captureScreenshot", session=True)["data"])
    assert shot.startswith(b"\x89PNG") and len(shot) > 5000
    assert browser.errors() == []
    assert [u for u in browser.requests() if not u.startswith(("file:", "data:", "about:"))] == []


def test_html_of_a_600_revision_history_in_a_browser(tmp_path, browser):
    proj = tmp_path / "history"
    subprocess.run([sys.executable, str(BENCH / "gen_history.py"), str(proj), "--revisions",
                    "600"], check=True, capture_output=True, cwd=BENCH)
    out = tmp_path / "graph.html"
    result = migrate_doctor("-c", str(proj / "alembic.ini"), "graph", "--format", "html",
                            "-o", str(out), cwd=proj)
    assert result.code == 0, result.output
    assert f"wrote {out}" in result.stderr

    took = browser.open(out.as_uri())

    assert browser.js("document.querySelectorAll('#viewport .node').length") == 600
    edges = browser.js("document.querySelectorAll('#viewport .edge').length")
    assert edges >= 599
    assert took < 20, f"the 600-revision page took {took:.1f}s to draw"
    # laid out: no two revisions share a spot, every edge goes downwards to its parent
    spots = browser.js("Array.from(document.querySelectorAll('#viewport .node'))"
                       ".map(function(g){return g.getAttribute('transform');})")
    assert len(set(spots)) == 600
    # the newest at the top: a head on the first row
    first = browser.js("document.querySelector('#viewport .node').getAttribute('data-id')")
    data = json.loads(re.search(r'id="graph-data">(.*?)</script>', out.read_text(), re.S).group(1))
    assert first in data["heads"] or any(n["row"] == 0 and n["head"] for n in data["nodes"])
    # find by message, open with Enter, the panel shows its operations
    target = next(n for n in data["nodes"] if n["findings"] and n["operations"])
    browser.js("var s=document.getElementById('search');s.value=" + json.dumps(target["id"])
               + ";s.dispatchEvent(new Event('input'));"
               "s.dispatchEvent(new KeyboardEvent('keydown',{key:'Enter'}));")
    panel = browser.js("document.getElementById('panel').innerText")
    assert panel.startswith(target["id"])
    assert target["operations"][0]["source"][:40] in panel
    assert target["findings"][0]["id"] in panel
    # a real click on another revision, after zooming out to fit
    x, y = _center(browser, "#fit")
    browser.click(x, y)
    other = data["nodes"][-1]["id"]  # the newest
    browser.js(f"document.querySelector('.node[data-id=\"{other}\"]').scrollIntoView()")
    x, y = _center(browser, f'.node[data-id="{other}"] circle')
    browser.click(x, y)
    assert browser.js("document.getElementById('panel').getAttribute('data-rev')") == other
    assert browser.errors() == []


def test_flask_db_graph(blog, database):
    blog.url = database.url
    blog.upgrade("0d5f7c2a9e11")

    result = blog.flask("db", "graph")

    assert result.code == 0, result.output
    assert result.stdout.splitlines()[:2] == [
        "○ 7b3e91c4d6a2  (head, pending) [expand] create comments",
        "◉ 0d5f7c2a9e11  (current) [expand] create posts"]
