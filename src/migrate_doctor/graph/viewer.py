"""The style and script of the HTML graph: ours, inline, no library and nothing fetched.

The script reads the graph (laid out by html.py) from the page's JSON, draws it as SVG,
zooms (Ctrl/⌘ + wheel, pinch, the +/− buttons), pans (drag, wheel), finds a revision by
id or message, and shows a revision's details in the side panel on click. User text
(messages, operations, findings) only ever goes into the page as text, never as markup.
"""

STYLE = r"""
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; font: 13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; }
header { display: flex; gap: 10px; align-items: center; padding: 6px 10px; border-bottom: 1px solid #d0d7de; background: #f6f8fa; height: 40px; }
header #summary { color: #59636e; flex: 1; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
header input { width: 260px; padding: 3px 6px; }
header button { min-width: 30px; padding: 3px 8px; }
main { display: flex; height: calc(100% - 40px); }
#canvas { flex: 1; position: relative; overflow: hidden; cursor: grab; background: #fff; }
#canvas.dragging { cursor: grabbing; }
#graph { width: 100%; height: 100%; display: block; user-select: none; }
#panel { width: 380px; border-left: 1px solid #d0d7de; overflow: auto; padding: 10px 14px; background: #fff; }
#panel h2 { font: 600 15px ui-monospace, SFMono-Regular, Menlo, monospace; margin: 4px 0; }
#panel .message { font-size: 14px; margin: 0 0 8px; }
#panel dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 0 0 10px; }
#panel dt { color: #59636e; }
#panel dd { margin: 0; word-break: break-all; }
#panel h3 { font-size: 13px; margin: 14px 0 4px; border-bottom: 1px solid #d8dee4; }
#panel ol { padding-left: 0; list-style: none; margin: 0; }
#panel li { margin: 3px 0; }
#panel code, #panel pre { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
#panel pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f8fa; padding: 4px 6px; margin: 2px 0; }
#panel .hint { color: #59636e; }
#panel a { color: #0969da; cursor: pointer; text-decoration: none; }
.badge { display: inline-block; padding: 0 6px; border-radius: 9px; font-size: 11px; border: 1px solid #d0d7de; margin-right: 4px; }
.sev-error { background: #ffebe9; border-color: #cf222e; }
.sev-warning { background: #fff8c5; border-color: #9a6700; }
.sev-info { background: #ddf4ff; border-color: #0969da; }
.edge { fill: none; stroke: #8c959f; stroke-width: 1.5; }
.node { cursor: pointer; }
.node circle { stroke: #59636e; stroke-width: 1.5; fill: #eaeef2; }
.node.phase-expand circle { fill: #4ac26b; stroke: #1a7f37; }
.node.phase-contract circle { fill: #ff8182; stroke: #cf222e; }
.node.phase-mixed circle { fill: #eac54f; stroke: #9a6700; }
.node.phase-data circle { fill: #54aeff; stroke: #0969da; }
.node.pending circle { fill: #fff; stroke-dasharray: 3 2; }
.node.current circle { stroke: #0b3d91; stroke-width: 4; }
.node.selected circle { stroke: #1f2328; stroke-width: 4; }
.node text { font-size: 12px; fill: #1f2328; dominant-baseline: middle; }
.node text .rev { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; fill: #59636e; }
.node text .tag { fill: #0969da; font-weight: 600; }
.node text .warn { fill: #cf222e; font-weight: 600; }
.node.selected text { font-weight: 600; }
.node.dim { opacity: .25; }
"""

SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("graph-data").textContent);
  var NS = "http://www.w3.org/2000/svg";
  var ROW = 28, LANE = 22, LEFT = 24, TOP = 24, R = 6;
  var svg = document.getElementById("graph");
  var view = document.getElementById("viewport");
  var canvas = document.getElementById("canvas");
  var panel = document.getElementById("panel");
  var byId = {};
  var maxLane = 0;
  data.nodes.forEach(function (n) { byId[n.id] = n; if (n.lane > maxLane) maxLane = n.lane; });
  var textX = LEFT + (maxLane + 1) * LANE + 8;
  var state = { k: 1, tx: 0, ty: 0 };
  var selected = null;

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(e);
    return e;
  }
  function h(tag, text, parent, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    if (parent) parent.appendChild(e);
    return e;
  }
  function px(n) { return LEFT + n.lane * LANE; }
  function py(n) { return TOP + n.row * ROW; }

  function tags(n) {
    var out = [];
    if (n.head) out.push("head");
    if (n.current) out.push("current");
    else if (n.applied === false) out.push("pending");
    if (n.merge) out.push("merge");
    if (n.branchpoint) out.push("branch point");
    return out;
  }

  function draw() {
    var edges = el("g", { "class": "edges" }, view);
    data.nodes.forEach(function (n) {
      n.parents.forEach(function (p) {
        var m = byId[p];
        if (!m) return;
        var x1 = px(n), y1 = py(n), x2 = px(m), y2 = py(m), d;
        if (x1 === x2) {
          d = "M" + x1 + "," + y1 + " V" + y2;
        } else if (m.lane > n.lane) {
          d = "M" + x1 + "," + y1 + " C" + x1 + "," + (y1 + ROW / 2) + " " + x2 + "," +
            (y1 + ROW / 2) + " " + x2 + "," + (y1 + ROW) + " V" + y2;
        } else {
          d = "M" + x1 + "," + y1 + " V" + (y2 - ROW) + " C" + x1 + "," + (y2 - ROW / 2) +
            " " + x2 + "," + (y2 - ROW / 2) + " " + x2 + "," + y2;
        }
        el("path", { d: d, "class": "edge", "data-from": m.id, "data-to": n.id }, edges);
      });
    });
    var layer = el("g", { "class": "nodes" }, view);
    data.nodes.forEach(function (n) {
      var cls = "node phase-" + n.phase + (n.current ? " current" : "") +
        (n.applied === false ? " pending" : "") + (n.head ? " head" : "");
      var g = el("g", { "class": cls, "data-id": n.id,
                        transform: "translate(" + px(n) + "," + py(n) + ")" }, layer);
      var title = el("title", {}, g);
      title.textContent = n.id + " " + (n.message || "");
      el("circle", { r: n.merge ? R + 1 : R }, g);
      var t = el("text", { x: textX - px(n), y: 0 }, g);
      var rev = el("tspan", { "class": "rev" }, t);
      rev.textContent = n.id + "  ";
      var tg = tags(n);
      if (tg.length) { var s = el("tspan", { "class": "tag" }, t); s.textContent = "(" + tg.join(", ") + ") "; }
      if (n.phase && n.phase !== "none") { var ph = el("tspan", { "class": "tag" }, t); ph.textContent = "[" + n.phase + "] "; }
      var msg = el("tspan", {}, t);
      msg.textContent = n.message || "";
      if (n.findings && n.findings.length) {
        var w = el("tspan", { "class": "warn" }, t);
        w.textContent = "  \u26a0 " + n.findings.length;
      }
      g.addEventListener("click", function (ev) { ev.stopPropagation(); select(n.id, false); });
    });
    var rows = data.nodes.length;
    svg.setAttribute("data-nodes", String(rows));
  }

  function apply() {
    view.setAttribute("transform", "translate(" + state.tx + "," + state.ty + ") scale(" + state.k + ")");
    svg.setAttribute("data-zoom", state.k.toFixed(3));
  }
  function zoomAt(factor, cx, cy) {
    var k = Math.min(8, Math.max(0.02, state.k * factor));
    factor = k / state.k;
    state.tx = cx - (cx - state.tx) * factor;
    state.ty = cy - (cy - state.ty) * factor;
    state.k = k;
    apply();
  }
  function contentWidth() {
    var box = view.getBBox ? view.getBBox() : { width: 800 };
    return Math.max(box.width + LEFT, 200);
  }
  function fit() {
    var w = canvas.clientWidth || 800;
    state.k = Math.min(1.5, Math.max(0.05, w / contentWidth()));
    state.tx = 0; state.ty = 0;
    apply();
  }
  function center(n) {
    var w = canvas.clientWidth || 800, hgt = canvas.clientHeight || 600;
    state.tx = w / 3 - px(n) * state.k;
    state.ty = hgt / 2 - py(n) * state.k;
    apply();
  }

  function link(id, parent) {
    var a = h("a", id, parent);
    a.href = "#rev=" + encodeURIComponent(id);
    a.addEventListener("click", function (ev) { ev.preventDefault(); select(id, true); });
    return a;
  }

  function select(id, move) {
    var n = byId[id];
    if (!n) return;
    if (selected) { var old = view.querySelector('.node[data-id="' + CSS.escape(selected) + '"]'); if (old) old.classList.remove("selected"); }
    selected = id;
    var g = view.querySelector('.node[data-id="' + CSS.escape(id) + '"]');
    if (g) g.classList.add("selected");
    if (move) center(n);
    if (history.replaceState) history.replaceState(null, "", "#rev=" + encodeURIComponent(id));
    showPanel(n);
  }

  function showPanel(n) {
    panel.textContent = "";
    panel.setAttribute("data-rev", n.id);
    h("h2", n.id, panel);
    h("p", n.message || "(no message)", panel, "message");
    var dl = h("dl", null, panel);
    function row(label, value) {
      h("dt", label, dl);
      var dd = h("dd", null, dl);
      if (value instanceof Node) dd.appendChild(value); else dd.textContent = value;
      return dd;
    }
    row("phase", n.phase);
    var status = n.current ? "current (the database is here)" : n.applied === false ? "pending (not applied)" : n.applied ? "applied" : "database not known";
    row("status", status);
    if (tags(n).length) row("marks", tags(n).join(", "));
    if (n.path) row("file", n.path);
    if (n.date) row("created", n.date);
    if (n.labels && n.labels.length) row("labels", n.labels.join(", "));
    var parents = row("parents", ""); if (!n.parents.length) parents.textContent = "(base)";
    n.parents.forEach(function (p, i) { if (i) parents.appendChild(document.createTextNode(", ")); link(p, parents); });
    var children = row("children", ""); if (!n.children.length) children.textContent = "(head)";
    n.children.forEach(function (c, i) { if (i) children.appendChild(document.createTextNode(", ")); link(c, children); });
    if (n.depends_on && n.depends_on.length) row("depends on", n.depends_on.join(", "));

    h("h3", "Findings (" + (n.findings || []).length + ")", panel);
    var fl = h("ol", null, panel, "findings");
    if (!(n.findings || []).length) h("li", "none", fl, "hint");
    (n.findings || []).forEach(function (f) {
      var li = h("li", null, fl, "finding");
      h("span", f.severity, li, "badge sev-" + f.severity);
      h("code", f.id, li);
      h("div", f.message + (f.line ? " (line " + f.line + ")" : ""), li);
      if (f.fix) h("pre", f.fix, li);
    });
    ["upgrade", "downgrade"].forEach(function (fn) {
      var ops = (n.operations || []).filter(function (o) { return o.function === fn; });
      h("h3", fn + "() (" + ops.length + " operation" + (ops.length === 1 ? "" : "s") + ")", panel);
      var ol = h("ol", null, panel, "operations");
      if (!ops.length) h("li", "nothing", ol, "hint");
      ops.forEach(function (o) {
        var li = h("li", null, ol, "operation");
        h("code", "line " + o.line + ": " + o.name, li);
        if (o.source) h("pre", o.source, li);
      });
    });
  }

  function summary() {
    var pending = data.nodes.filter(function (n) { return n.applied === false; }).length;
    var parts = [data.nodes.length + " revisions", "heads: " + (data.heads.join(", ") || "none")];
    if (data.database) parts.push("current: " + (data.current.join(", ") || "empty") + ", " + pending + " pending");
    document.getElementById("summary").textContent = parts.join(" \u00b7 ");
  }

  function search(q) {
    q = q.trim().toLowerCase();
    var hit = null;
    data.nodes.forEach(function (n) {
      var g = view.querySelector('.node[data-id="' + CSS.escape(n.id) + '"]');
      var match = !q || n.id.toLowerCase().indexOf(q) === 0 || (n.message || "").toLowerCase().indexOf(q) >= 0;
      if (g) g.classList.toggle("dim", !!q && !match);
      if (match && q && !hit) hit = n;
    });
    return hit;
  }

  // pan: drag and wheel; zoom: ctrl/meta + wheel (pinch), buttons
  var drag = null;
  canvas.addEventListener("pointerdown", function (ev) {
    drag = { x: ev.clientX, y: ev.clientY, tx: state.tx, ty: state.ty, moved: false };
    canvas.classList.add("dragging");
  });
  window.addEventListener("pointermove", function (ev) {
    if (!drag) return;
    state.tx = drag.tx + ev.clientX - drag.x;
    state.ty = drag.ty + ev.clientY - drag.y;
    apply();
  });
  window.addEventListener("pointerup", function () { drag = null; canvas.classList.remove("dragging"); });
  canvas.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    var box = canvas.getBoundingClientRect();
    if (ev.ctrlKey || ev.metaKey) {
      zoomAt(Math.exp(-ev.deltaY * 0.002), ev.clientX - box.left, ev.clientY - box.top);
    } else {
      state.tx -= ev.deltaX; state.ty -= ev.deltaY; apply();
    }
  }, { passive: false });
  document.getElementById("zoom-in").addEventListener("click", function () { zoomAt(1.25, canvas.clientWidth / 2, canvas.clientHeight / 2); });
  document.getElementById("zoom-out").addEventListener("click", function () { zoomAt(0.8, canvas.clientWidth / 2, canvas.clientHeight / 2); });
  document.getElementById("fit").addEventListener("click", fit);
  var input = document.getElementById("search");
  input.addEventListener("input", function () { search(input.value); });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") { var hit = search(input.value); if (hit) select(hit.id, true); }
  });
  window.addEventListener("hashchange", fromHash);

  function fromHash() {
    var m = /rev=([^&]+)/.exec(location.hash);
    if (m && byId[decodeURIComponent(m[1])]) { select(decodeURIComponent(m[1]), true); return true; }
    return false;
  }

  draw();
  summary();
  fit();
  if (!fromHash() && data.current.length && byId[data.current[0]]) center(byId[data.current[0]]);
  document.body.setAttribute("data-ready", "1");
})();
"""
