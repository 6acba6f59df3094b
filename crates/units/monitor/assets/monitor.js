// The live monitor page: messages from the WebSocket /feed, newest first; the topic tree;
// a topic filter (checked again by the server); pause/resume; a message in full on click.
// Payloads arrive already masked by the server, each with its one-line preview (made by the
// server, meaningful fields first). Each tree node draws its subtree's last minute of
// message rate (the server's `spark` buckets) as a small inline SVG bar chart; a node of
// grouped one-off replies says how many. On a phone the tree starts folded above the list. Bursts: updates are batched into one DOM
// change per animation frame, at most MAX_ROWS rows are kept, and messages that could not be
// shown (the server's per-page queue was full, or too many arrived at once) are counted.
(function () {
  "use strict";
  var MAX_ROWS = 500;          // rows kept in the table (PAGE_ROWS in src/page.rs)
  var MAX_PENDING = MAX_ROWS;  // messages held while paused or between frames
  var PREVIEW_CHARS = 160;    // for a server that sends no preview
  var MAX_CHILDREN = 200;      // tree children drawn per node
  var SVG = "http://www.w3.org/2000/svg";
  var PHONE = "(max-width: 40rem)"; // the same width as the stylesheet's phone layout

  var root = document.getElementById("monitor");
  if (!root) return;
  var t = root.dataset;
  var rows = document.getElementById("rows");
  var statusEl = document.getElementById("status");
  var droppedEl = document.getElementById("dropped");
  var pauseBtn = document.getElementById("pause");
  var form = document.getElementById("filter-form");
  var filterInput = document.getElementById("filter");
  var filterError = document.getElementById("filter-error");
  var treeEl = document.getElementById("tree");
  var topicsBox = document.getElementById("topics-box");
  var totalsEl = document.getElementById("totals");
  var dialog = document.getElementById("detail");

  var socket = null;
  var connected = false;
  var paused = false;
  var pending = [];           // newest last
  var dropped = 0;            // messages the view missed, shown to the user
  var frameQueued = false;
  var latestStats = null;
  var statsDirty = false;
  var openPaths = new Set([""]);
  var shown = new WeakMap();  // row → message
  var retry = 1000;
  var filter = "#";

  // A count's text: the `…One` variant for exactly one (English singulars), else `text`.
  function count(text, one, n) {
    return n === 1 && one ? one : fmt(text, { n: n.toLocaleString() });
  }

  function fmt(text, values) {
    return String(text).replace(/\{(\w+)\}/g, function (m, k) {
      return Object.prototype.hasOwnProperty.call(values, k) ? String(values[k]) : m;
    });
  }

  // The same rules the server applies (modt::protocol::topic): '+' and '#' fill a whole
  // level, '#' only last; no NUL; not empty.
  function filterProblem(f) {
    if (f.length === 0) return "empty";
    if (f.indexOf("\u0000") >= 0) return "NUL";
    var levels = f.split("/");
    for (var i = 0; i < levels.length; i++) {
      var l = levels[i];
      if (l.indexOf("+") >= 0 && l !== "+") return "'+' must be a whole level";
      if (l.indexOf("#") >= 0 && (l !== "#" || i !== levels.length - 1)) return "'#' must be the whole last level";
    }
    return null;
  }

  function setStatus() {
    if (!connected) { statusEl.textContent = socket ? t.tConnecting : t.tDisconnected; return; }
    statusEl.textContent = paused ? count(t.tPaused, t.tPausedOne, pending.length) : t.tLive;
  }

  function showDropped() {
    if (dropped > 0) {
      droppedEl.hidden = false;
      droppedEl.textContent = count(t.tDropped, t.tDroppedOne, dropped);
    }
  }

  function schedule() {
    if (frameQueued) return;
    frameQueued = true;
    window.requestAnimationFrame(render);
  }

  function take(messages) {
    for (var i = 0; i < messages.length; i++) pending.push(messages[i]);
    if (pending.length > MAX_PENDING) {
      var over = pending.length - MAX_PENDING;
      pending.splice(0, over);
      dropped += over;
    }
  }

  function size(n) {
    if (n < 1024) return n + " B";
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + " KiB";
    return (n / 1024 / 1024).toFixed(1) + " MiB";
  }

  function clock(iso) {
    var d = new Date(iso);
    if (isNaN(d)) return iso;
    var p = function (n, w) { return String(n).padStart(w || 2, "0"); };
    return p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds()) + "." + p(d.getMilliseconds(), 3);
  }

  function preview(m) {
    if (typeof m.preview === "string") return m.preview;
    var s = m.json !== undefined ? JSON.stringify(m.json) : (m.text || "");
    return s.length > PREVIEW_CHARS ? s.slice(0, PREVIEW_CHARS) + "…" : s;
  }

  function cell(tr, text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }

  function row(m) {
    var tr = document.createElement("tr");
    tr.tabIndex = 0;
    tr.className = "msg";
    tr.dataset.testid = "message";
    cell(tr, clock(m.time), "mono nowrap time");
    cell(tr, m.topic, "mono topic");
    cell(tr, String(m.qos), "qos");
    cell(tr, m.retain ? "✓" : "", "retain").dataset.label = t.tRetained; // named on a phone
    cell(tr, size(m.size) + (m.truncated ? " ✂" : ""), "nowrap size");
    var p = cell(tr, "", "mono payload");
    var text = document.createElement("div");
    text.className = "preview";
    text.textContent = preview(m);
    p.appendChild(text);
    p.dataset.testid = "preview";
    shown.set(tr, m);
    return tr;
  }

  function render() {
    frameQueued = false;
    if (!paused && pending.length) {
      var frag = document.createDocumentFragment();
      for (var i = pending.length - 1; i >= 0; i--) frag.appendChild(row(pending[i]));
      pending = [];
      rows.insertBefore(frag, rows.firstChild);
      while (rows.childElementCount > MAX_ROWS) rows.removeChild(rows.lastElementChild);
    }
    if (statsDirty && latestStats) { statsDirty = false; renderStats(latestStats); }
    showDropped();
    setStatus();
  }

  // The subtree's last minute as bars, oldest left; labelled with its mean rate.
  function spark(n) {
    var values = n.spark || [];
    var buckets = values.length || 30;
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "spark");
    svg.setAttribute("viewBox", "0 0 " + buckets + " 10");
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("role", "img");
    var label = fmt(t.tSpark, { rate: (n.window_rate || 0).toLocaleString() });
    svg.setAttribute("aria-label", label);
    svg.dataset.testid = "spark";
    var title = document.createElementNS(SVG, "title");
    title.textContent = label;
    svg.appendChild(title);
    var base = document.createElementNS(SVG, "rect");
    base.setAttribute("class", "base");
    base.setAttribute("x", "0"); base.setAttribute("y", "9.6");
    base.setAttribute("width", String(buckets)); base.setAttribute("height", "0.4");
    svg.appendChild(base);
    var max = Math.max.apply(null, [1].concat(values));
    for (var i = 0; i < values.length; i++) {
      if (!(values[i] > 0)) continue;
      var h = Math.max(1, values[i] / max * 10);
      var bar = document.createElementNS(SVG, "rect");
      bar.setAttribute("class", "bar");
      bar.setAttribute("x", String(i + 0.1)); bar.setAttribute("width", "0.8");
      bar.setAttribute("y", String(10 - h)); bar.setAttribute("height", String(h));
      svg.appendChild(bar);
    }
    return svg;
  }

  function node(n) {
    var li = document.createElement("li");
    var line = document.createElement("div");
    line.className = "node";
    var kids = n.children || [];
    if (kids.length) {
      var toggle = document.createElement("button");
      toggle.type = "button";
      toggle.className = "toggle";
      var open = openPaths.has(n.path);
      toggle.textContent = open ? "▾" : "▸";
      toggle.setAttribute("aria-expanded", String(open));
      toggle.setAttribute("aria-label", fmt(open ? t.tCollapse : t.tExpand, { path: n.path }));
      toggle.addEventListener("click", function () {
        if (openPaths.has(n.path)) openPaths.delete(n.path); else openPaths.add(n.path);
        statsDirty = true; schedule();
      });
      line.appendChild(toggle);
    }
    var name = document.createElement("button");
    name.type = "button";
    name.className = "link mono";
    name.textContent = n.name === "" ? "∅" : n.name;
    name.title = n.replies ? fmt(t.tReplyGroup, { path: n.path }) : n.path;
    name.addEventListener("click", function () {
      setFilter(kids.length || n.replies ? n.path + "/#" : n.path);
    });
    line.appendChild(name);
    line.appendChild(spark(n));
    var counted = document.createElement("span");
    counted.className = "count";
    var text = n.count.toLocaleString();
    if (n.replies) {
      li.dataset.testid = "reply-group";
      li.dataset.path = n.path;
      li.dataset.replies = String(n.replies);
      text = count(t.tReplies, t.tRepliesOne, n.replies);
      if (n.count > n.replies) text = n.count.toLocaleString() + " · " + text;
    }
    counted.textContent = text + (n.rate > 0 ? " · " + n.rate + "/s" : "");
    line.appendChild(counted);
    li.appendChild(line);
    if (kids.length && openPaths.has(n.path)) li.appendChild(list(kids));
    return li;
  }

  function list(kids) {
    var ul = document.createElement("ul");
    for (var i = 0; i < kids.length && i < MAX_CHILDREN; i++) ul.appendChild(node(kids[i]));
    if (kids.length > MAX_CHILDREN) {
      var more = document.createElement("li");
      more.className = "hint";
      more.textContent = fmt(t.tMore, { n: kids.length - MAX_CHILDREN });
      ul.appendChild(more);
    }
    return ul;
  }

  function renderStats(s) {
    var text = fmt(t.tTotals, { total: s.total.toLocaleString(), tracked: s.tracked.toLocaleString(), rate: s.tree.rate });
    if (s.untracked > 0) text += " · " + fmt(t.tUntracked, { n: s.untracked.toLocaleString(), max: s.max_topics.toLocaleString() });
    totalsEl.textContent = text;
    var fresh = list(s.tree.children || []);
    fresh.id = "tree";
    fresh.className = "tree";
    fresh.dataset.testid = "tree";
    treeEl.replaceWith(fresh);
    treeEl = fresh;
  }

  function onFrame(ev) {
    var f;
    try { f = JSON.parse(ev.data); } catch (e) { return; }
    if (f.type === "batch") {
      dropped += f.dropped || 0;
      take(f.messages);
    } else if (f.type === "history") {
      filter = f.filter;
      filterInput.value = f.filter;
      filterError.hidden = true;
      rows.textContent = "";
      pending = [];
      // History older than the rows the page keeps is not a loss: take the newest only, so a
      // fresh page over a full buffer does not say messages were dropped.
      take(f.messages.slice(-MAX_PENDING));
    } else if (f.type === "stats") {
      latestStats = f;
      statsDirty = true;
    } else if (f.type === "error") {
      filterError.hidden = false;
      filterError.textContent = fmt(t.tBadFilter, { why: f.error });
    }
    schedule();
  }

  function connect() {
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host +
      "/feed?filter=" + encodeURIComponent(filter);
    socket = new WebSocket(url);
    setStatus();
    socket.addEventListener("open", function () { connected = true; retry = 1000; setStatus(); });
    socket.addEventListener("message", onFrame);
    socket.addEventListener("close", function () {
      connected = false;
      socket = null;
      setStatus();
      window.setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    });
  }

  function setFilter(f) {
    var problem = filterProblem(f);
    if (problem) {
      filterError.hidden = false;
      filterError.textContent = fmt(t.tBadFilter, { why: problem });
      return;
    }
    filterError.hidden = true;
    filter = f;
    filterInput.value = f;
    dropped = 0;
    droppedEl.hidden = true;
    if (socket && connected) socket.send(JSON.stringify({ filter: f }));
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    setFilter(filterInput.value.trim());
  });

  pauseBtn.addEventListener("click", function () {
    paused = !paused;
    pauseBtn.textContent = paused ? t.tResume : t.tPause;
    pauseBtn.setAttribute("aria-pressed", String(paused));
    schedule();
  });

  function openDetail(tr) {
    var m = shown.get(tr);
    if (!m) return;
    document.getElementById("detail-topic").textContent = m.topic;
    var meta = clock(m.time) + " · QoS " + m.qos + (m.retain ? " · retained" : "") + " · " + size(m.size);
    if (m.truncated) meta += " · " + fmt(t.tTruncated, { shown: (m.text || "").length, size: m.size });
    if (m.masked) meta += " · " + count(t.tMasked, t.tMaskedOne, m.masked);
    document.getElementById("detail-meta").textContent = meta;
    document.getElementById("detail-body").textContent =
      m.json !== undefined ? JSON.stringify(m.json, null, 2) : (m.text || "");
    dialog.showModal();
  }

  rows.addEventListener("click", function (e) {
    var tr = e.target.closest("tr");
    if (tr) openDetail(tr);
  });
  rows.addEventListener("keydown", function (e) {
    if (e.key === "Enter" || e.key === " ") {
      var tr = e.target.closest("tr");
      if (tr) { e.preventDefault(); openDetail(tr); }
    }
  });
  document.getElementById("detail-close").addEventListener("click", function () { dialog.close(); });

  // For tests of the filter rules in a browser (e2e/monitor.mjs).
  window.modtMonitor = { filterProblem: filterProblem };

  // A phone shows the list first: the tree starts folded (its summary keeps the totals).
  if (window.matchMedia(PHONE).matches) topicsBox.open = false;

  connect();
})();
