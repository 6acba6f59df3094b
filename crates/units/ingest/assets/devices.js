// The devices page. It reads what it shows from its own web side (`/api/…`: connections,
// the device tree, each sensor's recent values, discovered topics, the parse log), follows
// `/events` (server-sent: batches of device events, connection statuses, refused messages;
// `resync` when it fell behind), and — for administrators — starts and stops connections
// through the API gateway (`data-api`) with the session cookie: PATCH
// /ingest/connections/{id} {"is_active": …} with If-Match. Between the click and the
// reconciler's confirmation (the connection's retained status arriving as a `status` event)
// the connection's label shows a loading state. Text is always set with textContent.
(function () {
  "use strict";
  var app = document.getElementById("devices-app");
  if (!app) return;
  var api = app.getAttribute("data-api");
  var admin = app.getAttribute("data-admin") === "true";
  var lang = app.getAttribute("data-lang") || "en";
  var maxPoints = Number(app.getAttribute("data-history-points")) || 120;
  var SVG = "http://www.w3.org/2000/svg";
  var MAX_ROWS = 100;           // rows kept in the topics table and the parse log
  var HISTORY_FETCHES = 4;      // sensor histories asked for at once
  var TOPICS_EVERY_MS = 10000;  // the topics table refreshes this often while visible
  var WAITING_MS = 10000;       // a start/stop unconfirmed this long says so
  var RESYNC_GAP_MS = 3000;     // a part reloads at most this often after falling behind

  var live = document.getElementById("live");
  var problem = document.getElementById("problem");
  var connList = document.getElementById("connections");
  var sitesEl = document.getElementById("sites");
  var topicsBody = document.getElementById("topics");
  var limitsBox = document.getElementById("limits");
  var logBody = document.getElementById("parse-log");
  var logForm = document.getElementById("log-form");
  var topicsForm = document.getElementById("topics-form");

  var connections = {}; // id -> { connection, status, pending, li }
  var sensors = {};     // key -> { points: [values], el, dirty }
  var places = {};      // "site" / "site/gw" / "site/gw/dl" -> element
  var dirty = false;

  function t(key) { return app.getAttribute("data-t-" + key) || key; }

  // What a sensor measures, in the page's language when the catalog knows the kind
  // (`js_sensor_<kind>`); any other kind as the device sent it.
  function kindLabel(kind) { return app.getAttribute("data-t-sensor_" + kind) || kind; }

  function say(text) {
    problem.textContent = text || "";
    problem.hidden = !text;
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function when(ts) {
    var d = new Date(ts);
    if (isNaN(d.getTime())) return ts || "";
    return d.toLocaleTimeString(lang === "ja" ? "ja-JP" : "en-GB");
  }

  function query(params) {
    var parts = [];
    Object.keys(params).forEach(function (k) {
      if (params[k]) parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(params[k]));
    });
    return parts.length ? "?" + parts.join("&") : "";
  }

  // A read from this page's own web side: the parsed body, or an error with the status.
  function read(path) {
    return fetch(path, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) { var e = new Error(String(r.status)); e.status = r.status; throw e; }
        return r.json();
      });
  }

  function readFailed(e) {
    if (e && e.status === 401) say(t("signed_out"));
    else say(t("unavailable"));
  }

  // ---- connections ----------------------------------------------------------------------

  function loadConnections() {
    return read("/api/connections").then(function (list) {
      var seen = {};
      list.items.forEach(function (item) {
        seen[item.connection.id] = true;
        var c = connections[item.connection.id];
        if (c) {
          c.connection = item.connection;
          if (!c.status || item.status.since >= c.status.since) c.status = item.status;
        } else {
          connections[item.connection.id] = { connection: item.connection, status: item.status, pending: null, li: null };
        }
        drawConnection(connections[item.connection.id]);
      });
      Object.keys(connections).forEach(function (id) {
        if (!seen[id]) { if (connections[id].li) connections[id].li.remove(); delete connections[id]; }
      });
      document.getElementById("connections-empty").hidden = list.items.length > 0;
      fillConnectionFilter();
    }, readFailed);
  }

  function fillConnectionFilter() {
    var select = document.getElementById("log-connection");
    var chosen = select.value;
    while (select.options.length > 1) select.remove(1);
    Object.keys(connections).forEach(function (id) {
      var o = el("option", null, connections[id].connection.name);
      o.value = id;
      select.appendChild(o);
    });
    select.value = chosen;
  }

  function drawConnection(c) {
    var li = c.li;
    if (!li) {
      li = c.li = el("li", "connection");
      li.setAttribute("data-testid", "connection");
      li.setAttribute("data-id", c.connection.id);
      connList.appendChild(li);
    }
    li.textContent = "";
    var head = el("div", "conn-head");
    head.appendChild(el("span", "conn-name", c.connection.name));
    head.appendChild(el("span", "conn-where mono", c.connection.host + ":" + c.connection.port));
    var label = el("span", "state");
    label.setAttribute("data-testid", "conn-state");
    label.setAttribute("role", "status");
    var state = c.status ? c.status.state : "stopped";
    if (c.pending) {
      label.setAttribute("data-state", "pending");
      label.setAttribute("aria-busy", "true");
      label.appendChild(el("span", "spin"));
      label.appendChild(document.createTextNode(t(c.pending.target === "start" ? "starting" : "stopping")));
    } else {
      label.setAttribute("data-state", state);
      label.textContent = t("state_" + state);
    }
    head.appendChild(label);
    if (admin) {
      var active = c.connection.is_active;
      var b = el("button", "secondary small", t(active ? "stop" : "start"));
      b.type = "button";
      b.setAttribute("data-testid", "conn-toggle");
      b.disabled = !!c.pending || !api;
      b.addEventListener("click", function () { toggle(c.connection.id); });
      head.appendChild(b);
    }
    li.appendChild(head);
    var detail = [];
    if (c.status && c.status.reason && !c.pending) detail.push(c.status.reason);
    if (c.status && c.status.attempt > 0 && !c.pending) detail.push(t("attempt") + " " + c.status.attempt);
    if (c.status && c.status.next_attempt_at && !c.pending) detail.push(t("next_attempt") + " " + when(c.status.next_attempt_at));
    if (c.pending && c.pending.waiting) detail.push(t("waiting"));
    if (detail.length) {
      var d = el("div", "hint conn-detail", detail.join(" · "));
      d.setAttribute("data-testid", "conn-detail");
      li.appendChild(d);
    }
  }

  // Whether `status` is the reconciler's answer to a start or stop.
  function confirms(target, status) {
    if (target === "start") return status.state === "connected" || status.state === "failed";
    return status.state === "stopped";
  }

  function onStatus(status) {
    var c = connections[status.connection_id];
    if (!c) { loadConnections(); return; }
    if (c.status && status.since < c.status.since) return;
    c.status = status;
    if (c.pending && confirms(c.pending.target, status)) {
      clearTimeout(c.pending.timer);
      c.pending = null;
    }
    drawConnection(c);
  }

  function toggle(id) {
    var c = connections[id];
    if (!c || c.pending) return;
    var target = c.connection.is_active ? "stop" : "start";
    say("");
    c.pending = { target: target, waiting: false, timer: null };
    c.pending.timer = setTimeout(function () {
      if (c.pending) { c.pending.waiting = true; drawConnection(c); }
    }, WAITING_MS);
    drawConnection(c);
    fetch(api + "/ingest/connections/" + encodeURIComponent(id), {
      method: "PATCH",
      credentials: "include",
      headers: {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "If-Match": "\"" + c.connection.version + "\""
      },
      body: JSON.stringify({ is_active: target === "start" })
    }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (body) {
        if (r.ok && body && body.connection) {
          // The label stays loading until the status confirms (which may already have).
          c.connection = body.connection;
          drawConnection(c);
          return;
        }
        cancel(c);
        refused(r.status, body);
        if (r.status === 412) loadConnections();
      });
    }, function () { cancel(c); say(t("unavailable")); });
  }

  function cancel(c) {
    if (c.pending) clearTimeout(c.pending.timer);
    c.pending = null;
    drawConnection(c);
  }

  function refused(status, body) {
    if (status === 401) return say(t("signed_out"));
    if (status === 403) return say(t("forbidden"));
    if (status === 412) return say(t("changed"));
    if (status === 503 || status === 504) return say(t("unavailable"));
    var err = body && body.error;
    say(t("failed") + " " + ((err && err.message) || String(status)));
  }

  // ---- devices ---------------------------------------------------------------------------

  function key() { return Array.prototype.slice.call(arguments).join("/"); }

  function loadDevices() {
    return read("/api/devices").then(function (tree) {
      sitesEl.textContent = "";
      places = {};
      var keep = {};
      tree.sites.forEach(function (site) {
        site.gateways.forEach(function (gw) {
          drawGateway(site.id, gw);
          gw.dataloggers.forEach(function (dl) {
            drawDatalogger(site.id, gw.id, dl, keep);
          });
        });
      });
      Object.keys(sensors).forEach(function (k) { if (!keep[k]) delete sensors[k]; });
      document.getElementById("devices-empty").hidden = tree.sites.length > 0;
      loadHistories(Object.keys(keep));
    }, readFailed);
  }

  function siteEl(site) {
    var e = places[site];
    if (e) return e;
    e = places[site] = el("details", "site");
    e.open = true;
    e.setAttribute("data-testid", "site");
    e.setAttribute("data-site", site);
    var summary = el("summary", null, site);
    e.appendChild(summary);
    sitesEl.appendChild(e);
    document.getElementById("devices-empty").hidden = true;
    return e;
  }

  function gatewayEl(site, gw) {
    var k = key(site, gw);
    var e = places[k];
    if (e) return e;
    e = places[k] = el("div", "gateway");
    e.setAttribute("data-testid", "gateway");
    e.setAttribute("data-gateway", k);
    var head = el("div", "gw-head");
    head.appendChild(el("span", "gw-name", t("gateway") + " " + gw));
    e.appendChild(head);
    siteEl(site).appendChild(e);
    return e;
  }

  function drawGateway(site, gw) {
    var e = gatewayEl(site, gw.id);
    var head = e.firstChild;
    while (head.childNodes.length > 1) head.removeChild(head.lastChild);
    if (gw.online !== undefined && gw.online !== null) {
      var badge = el("span", "online " + (gw.online ? "yes" : "no"), t(gw.online ? "online" : "offline"));
      badge.setAttribute("data-testid", "gw-online");
      head.appendChild(badge);
    }
    if (gw.rssi !== undefined && gw.rssi !== null) head.appendChild(el("span", "hint", t("rssi") + " " + gw.rssi + " dBm"));
    head.appendChild(el("span", "hint", t("seen") + " " + when(gw.last_seen)));
  }

  function drawDatalogger(site, gw, dl, keep) {
    var k = key(site, gw, dl.id);
    var e = places[k];
    if (!e) {
      e = places[k] = el("div", "datalogger");
      e.setAttribute("data-testid", "datalogger");
      e.setAttribute("data-datalogger", k);
      e.appendChild(el("div", "dl-head"));
      e.appendChild(el("div", "sensors"));
      gatewayEl(site, gw).appendChild(e);
    }
    var head = e.firstChild;
    head.textContent = "";
    head.appendChild(el("span", "dl-name mono", dl.id));
    var about = [dl.model, dl.firmware].filter(Boolean).join(" · ");
    if (about) head.appendChild(el("span", "hint", about));
    head.appendChild(el("span", "hint", t("seen") + " " + when(dl.last_seen)));
    dl.sensors.forEach(function (s) {
      var sk = key(site, gw, dl.id, s.id);
      if (keep) keep[sk] = true;
      drawSensor(e.lastChild, sk, s);
    });
  }

  function drawSensor(box, sk, s) {
    var entry = sensors[sk];
    if (!entry || !entry.el.isConnected) {
      var card = el("div", "sensor");
      card.setAttribute("data-testid", "sensor");
      card.setAttribute("data-key", sk);
      var top = el("div", "s-top");
      var kind = el("span", "s-kind", kindLabel(s.kind));
      kind.setAttribute("data-kind", s.kind);
      top.appendChild(kind);
      top.appendChild(el("span", "s-id mono", s.id));
      card.appendChild(top);
      var value = el("div", "s-value");
      value.setAttribute("data-testid", "sensor-value");
      card.appendChild(value);
      var svg = document.createElementNS(SVG, "svg");
      svg.setAttribute("class", "spark");
      svg.setAttribute("viewBox", "0 0 100 30");
      svg.setAttribute("preserveAspectRatio", "none");
      svg.setAttribute("role", "img");
      svg.setAttribute("data-testid", "chart");
      card.appendChild(svg);
      card.appendChild(el("div", "s-time hint"));
      box.appendChild(card);
      entry = sensors[sk] = { points: entry ? entry.points : [], el: card, unit: s.unit, id: s.id };
    }
    entry.unit = s.unit;
    var v = entry.el.querySelector(".s-value");
    v.textContent = format(s.value) + (s.unit ? " " + s.unit : "");
    v.setAttribute("data-value", String(s.value));
    entry.el.querySelector(".s-time").textContent = when(s.at);
    return entry;
  }

  function format(n) {
    if (typeof n !== "number") return String(n);
    return Math.abs(n) >= 1000 ? n.toFixed(1) : String(Math.round(n * 1000) / 1000);
  }

  function addPoint(entry, value) {
    entry.points.push(value);
    if (entry.points.length > maxPoints) entry.points.splice(0, entry.points.length - maxPoints);
    entry.dirty = true;
    schedule();
  }

  // Charts are redrawn at most once a frame, whatever the rate of events.
  function schedule() {
    if (dirty) return;
    dirty = true;
    window.requestAnimationFrame(function () {
      dirty = false;
      Object.keys(sensors).forEach(function (k) {
        var s = sensors[k];
        if (s.dirty) { s.dirty = false; chart(s); }
      });
    });
  }

  function chart(s) {
    var svg = s.el.querySelector("svg");
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var pts = s.points;
    svg.setAttribute("data-points", String(pts.length));
    if (!pts.length) return;
    var lo = Math.min.apply(null, pts), hi = Math.max.apply(null, pts);
    var span = hi - lo || 1;
    var step = pts.length > 1 ? 100 / (pts.length - 1) : 0;
    var coords = pts.map(function (v, i) {
      return (i * step).toFixed(2) + "," + (27 - ((v - lo) / span) * 24).toFixed(2);
    });
    var title = document.createElementNS(SVG, "title");
    title.textContent = t("chart") + " " + s.id + ": " + format(lo) + "–" + format(hi) + (s.unit ? " " + s.unit : "");
    svg.appendChild(title);
    var line = document.createElementNS(SVG, "polyline");
    line.setAttribute("points", coords.join(" "));
    line.setAttribute("vector-effect", "non-scaling-stroke");
    svg.appendChild(line);
    var last = coords[coords.length - 1].split(",");
    var dot = document.createElementNS(SVG, "circle");
    dot.setAttribute("cx", last[0]);
    dot.setAttribute("cy", last[1]);
    dot.setAttribute("r", "1.8");
    svg.appendChild(dot);
  }

  function loadHistories(keys) {
    var queue = keys.slice();
    function one() {
      var k = queue.shift();
      if (k === undefined) return Promise.resolve();
      var path = "/api/history/" + k.split("/").map(encodeURIComponent).join("/");
      return read(path).then(function (h) {
        var s = sensors[k];
        if (s) {
          // Stored before it was announced: the history holds every point the page got.
          s.points = h.points.map(function (p) { return p.value; });
          s.dirty = true;
          schedule();
        }
      }, function () {}).then(one);
    }
    for (var i = 0; i < HISTORY_FETCHES; i++) one();
  }

  function onDevices(events) {
    events.forEach(function (e) {
      if (e.type === "readings") {
        drawDatalogger(e.site, e.gateway, e.datalogger, null);
        e.datalogger.sensors.forEach(function (s) {
          var entry = sensors[key(e.site, e.gateway, e.datalogger.id, s.id)];
          if (entry) addPoint(entry, s.value);
        });
      } else if (e.type === "gateway") {
        drawGateway(e.site, e.gateway);
      }
    });
  }

  // ---- discovered topics and the parse log --------------------------------------------

  // Adds a row's cells, each labelled with its column's heading (shown on a phone, where
  // the table becomes cards).
  function cells(tr, body, list) {
    var heads = document.getElementById(body).parentNode.querySelectorAll("thead th");
    list.forEach(function (c, i) {
      var td = el("td", c[0], c[1]);
      if (heads[i]) td.setAttribute("data-label", heads[i].textContent);
      tr.appendChild(td);
    });
  }

  function loadTopics() {
    var q = { topic: topicsForm.elements.topic.value, limit: String(MAX_ROWS) };
    return read("/api/topics" + query(q)).then(function (page) {
      topicsBody.textContent = "";
      page.items.forEach(function (d) {
        var tr = el("tr");
        tr.setAttribute("data-testid", "topic-row");
        var name = connections[d.connection_id] ? connections[d.connection_id].connection.name : d.connection_id;
        cells(tr, "topics", [
          ["topic mono", d.topic], ["conn", name], ["parser", d.parser || t("none")],
          ["num", d.count], ["num", d.parsed], ["num" + (d.failed ? " failed" : ""), d.failed],
          ["nowrap", when(d.last_seen)], ["sample mono", d.sample]
        ]);
        topicsBody.appendChild(tr);
      });
      if (!page.items.length) {
        var tr = el("tr");
        var td = el("td", "hint", t("empty_topics"));
        td.colSpan = 8;
        tr.appendChild(td);
        topicsBody.appendChild(tr);
      }
    }, readFailed);
  }

  // The limits on discovered topics and devices: said only once one was reached.
  function loadLimits() {
    return read("/api/limits").then(function (l) {
      var lines = [];
      if (l.topics_refused) {
        lines.push(t("limit_topics").replace("{max}", String(l.max_topics))
          .replace("{topics}", String(l.topics_refused)).replace("{messages}", String(l.messages_unrecorded)));
      }
      if (l.devices_refused) {
        lines.push(t("limit_devices").replace("{max}", String(l.max_devices))
          .replace("{devices}", String(l.devices_refused)));
      }
      limitsBox.textContent = lines.join(" ");
      limitsBox.hidden = !lines.length;
    }, function () {});
  }

  function logFilters() {
    var f = logForm.elements;
    return { connection: f.connection.value, parser: f.parser.value.trim(), kind: f.kind.value, topic: f.topic.value.trim() };
  }

  function failureRow(p) {
    var tr = el("tr");
    tr.setAttribute("data-testid", "failure");
    tr.setAttribute("data-kind", p.kind);
    cells(tr, "parse-log", [
      ["nowrap", when(p.at)], ["topic mono", p.topic], ["parser", p.parser],
      ["kind", t("kind_" + p.kind)], ["mono", p.pointer || "/"], ["reason", p.reason], ["sample mono", p.excerpt]
    ]);
    return tr;
  }

  function emptyLog() {
    var tr = el("tr", "empty");
    var td = el("td", "hint", t("empty_log"));
    td.colSpan = 7;
    tr.appendChild(td);
    logBody.appendChild(tr);
  }

  function loadLog() {
    var q = logFilters();
    q.limit = String(MAX_ROWS);
    return read("/api/parse-log" + query(q)).then(function (page) {
      logBody.textContent = "";
      page.items.forEach(function (p) { logBody.appendChild(failureRow(p)); });
      if (!page.items.length) emptyLog();
      logBody.setAttribute("data-loaded", "true");
    }, readFailed);
  }

  function matches(p, f) {
    return (!f.connection || p.connection_id === f.connection) &&
      (!f.parser || p.parser === f.parser) &&
      (!f.kind || p.kind === f.kind) &&
      (!f.topic || p.topic.indexOf(f.topic) >= 0);
  }

  function onFailure(p) {
    if (!matches(p, logFilters())) return;
    var empty = logBody.querySelector("tr.empty");
    if (empty) empty.remove();
    logBody.insertBefore(failureRow(p), logBody.firstChild);
    while (logBody.children.length > MAX_ROWS) logBody.removeChild(logBody.lastChild);
  }

  // ---- live -------------------------------------------------------------------------------

  var lastResync = {};
  function resync(part) {
    var now = Date.now();
    if (lastResync[part] && now - lastResync[part] < RESYNC_GAP_MS) return;
    lastResync[part] = now;
    if (part === "devices") loadDevices();
    else if (part === "status") loadConnections();
    else loadLog();
  }

  function follow() {
    var source = new EventSource("/events");
    source.addEventListener("open", function () { live.setAttribute("data-state", "live"); live.title = ""; });
    source.addEventListener("error", function () { live.setAttribute("data-state", "lost"); live.title = t("lost"); });
    source.addEventListener("devices", function (m) { onDevices(JSON.parse(m.data)); });
    source.addEventListener("status", function (m) { onStatus(JSON.parse(m.data)); });
    source.addEventListener("failure", function (m) { onFailure(JSON.parse(m.data)); });
    source.addEventListener("resync", function (m) { resync(m.data); });
  }

  logForm.addEventListener("submit", function (e) { e.preventDefault(); loadLog(); });
  topicsForm.addEventListener("submit", function (e) { e.preventDefault(); loadTopics(); });
  setInterval(function () { if (!document.hidden) { loadTopics(); loadLimits(); } }, TOPICS_EVERY_MS);

  // Follow first, then load: what changes while loading arrives as events on top.
  follow();
  loadConnections().then(function () {
    return Promise.all([loadDevices(), loadTopics(), loadLog(), loadLimits()]);
  }).then(function () { app.setAttribute("data-loaded", "true"); });
})();
