// The todo page. Everything it shows and changes goes through the API gateway's REST API
// (`data-api`), with the browser's session cookie (credentials: "include"), as any client's
// calls would: GET /todos (pages by cursor), POST /todos (with an Idempotency-Key, so a
// repeated click or a retry never adds twice), PATCH and DELETE /todos/{id} with If-Match,
// so a change made elsewhere meanwhile is never overwritten unseen (412: the item is
// refreshed and the user told). Live: the todo unit's /events stream says which of the
// user's todos changed (from another tab or client); the page fetches that item again, or
// reloads the list when it fell behind. Text is always set with textContent, never as HTML.
(function () {
  "use strict";
  var app = document.getElementById("todo-app");
  if (!app) return;
  var api = app.getAttribute("data-api");
  var pageSize = Number(app.getAttribute("data-page-size")) || 50;
  var list = document.getElementById("todos");
  var empty = document.getElementById("empty");
  var more = document.getElementById("more");
  var problem = document.getElementById("problem");
  var live = document.getElementById("live");
  var filter = document.getElementById("filter");
  var sort = document.getElementById("sort");
  var add = document.getElementById("add");
  var items = {}; // id -> { todo, li }
  var cursor = null;
  var loading = 0;

  function t(key) { return app.getAttribute("data-t-" + key) || key; }

  function say(text) {
    problem.textContent = text;
    problem.hidden = !text;
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return String(Date.now()) + "-" + String(Math.random()).slice(2);
  }

  // One API call: resolves { status, body } (body: parsed JSON or null); rejects only when
  // the gateway could not be reached.
  function call(method, path, body, headers) {
    var h = { "Accept": "application/json" };
    if (body !== undefined) h["Content-Type"] = "application/json";
    Object.keys(headers || {}).forEach(function (k) { h[k] = headers[k]; });
    return fetch(api + path, {
      method: method,
      credentials: "include",
      headers: h,
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (r) {
      if (r.status === 204) return { status: 204, body: null };
      return r.json().catch(function () { return null; })
        .then(function (b) { return { status: r.status, body: b }; });
    });
  }

  // Says why a call failed, in the user's language where the status tells.
  function failed(res) {
    if (res.status === 401) return say(t("signed_out"));
    if (res.status === 503 || res.status === 504) return say(t("unavailable"));
    var err = res.body && res.body.error;
    var detail = err && err.details && err.details.length
      ? err.details.map(function (d) { return d.field + " " + d.reason; }).join("; ")
      : (err && err.message) || String(res.status);
    say(t("failed") + " " + detail);
  }

  function unreachable() { say(t("unavailable")); }

  function ifMatch(todo) { return { "If-Match": "\"" + todo.version + "\"" }; }

  function fits(todo) {
    return filter.value === "" || String(todo.done) === filter.value;
  }

  function button(text, testid, onclick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "link";
    b.textContent = text;
    b.setAttribute("data-testid", testid);
    b.addEventListener("click", onclick);
    return b;
  }

  // Shows `todo` in its row (made if new; put first when `first`, else last).
  function show(todo, first) {
    var entry = items[todo.id];
    if (!fits(todo)) { if (entry) remove(todo.id); return; }
    if (entry && entry.todo.version > todo.version) return;
    var li = entry ? entry.li : document.createElement("li");
    if (!entry) {
      li.setAttribute("data-id", todo.id);
      li.setAttribute("data-testid", "todo");
      if (first) list.insertBefore(li, list.firstChild); else list.appendChild(li);
    }
    items[todo.id] = { todo: todo, li: li };
    li.setAttribute("data-version", String(todo.version));
    if (li.classList.contains("editing")) return; // the user's form stays; a save sends If-Match
    render(li, todo);
    empty.hidden = true;
  }

  function render(li, todo) {
    li.className = todo.done ? "done" : "";
    li.textContent = "";
    var box = document.createElement("input");
    box.type = "checkbox";
    box.checked = todo.done;
    box.setAttribute("aria-label", t("done") + ": " + todo.title);
    box.setAttribute("data-testid", "tick");
    box.addEventListener("change", function () { tick(todo.id, box); });
    var text = document.createElement("div");
    text.className = "text";
    var title = document.createElement("div");
    title.className = "title";
    title.setAttribute("data-testid", "title");
    title.textContent = todo.title;
    text.appendChild(title);
    if (todo.notes) {
      var notes = document.createElement("div");
      notes.className = "notes";
      notes.setAttribute("data-testid", "notes");
      notes.textContent = todo.notes;
      text.appendChild(notes);
    }
    var actions = document.createElement("div");
    actions.className = "actions";
    actions.appendChild(button(t("edit"), "edit", function () { edit(todo.id); }));
    actions.appendChild(button(t("delete"), "delete", function () { del(todo.id); }));
    li.appendChild(box);
    li.appendChild(text);
    li.appendChild(actions);
  }

  function flash(id) {
    var entry = items[id];
    if (!entry) return;
    entry.li.classList.remove("flash");
    void entry.li.offsetWidth;
    entry.li.classList.add("flash");
  }

  function remove(id) {
    var entry = items[id];
    if (!entry) return;
    entry.li.remove();
    delete items[id];
    empty.hidden = list.children.length > 0;
  }

  // The list from the start (reset) or its next page.
  function load(reset) {
    if (!api) return;
    var mine = ++loading;
    if (reset) cursor = null;
    var q = "?limit=" + pageSize + "&sort=" + encodeURIComponent(sort.value);
    if (filter.value) q += "&done=" + filter.value;
    if (cursor) q += "&cursor=" + encodeURIComponent(cursor);
    return call("GET", "/todos" + q).then(function (res) {
      if (mine !== loading) return;
      if (res.status !== 200) return failed(res);
      if (reset) { list.textContent = ""; items = {}; }
      res.body.items.forEach(function (todo) { show(todo, false); });
      cursor = res.body.next_cursor || null;
      more.hidden = !cursor;
      empty.hidden = list.children.length > 0;
      list.setAttribute("data-loaded", "true");
    }, unreachable);
  }

  // Fetches one todo again (a change event said it changed).
  function refresh(id) {
    return call("GET", "/todos/" + encodeURIComponent(id)).then(function (res) {
      if (res.status === 200) { show(res.body, !items[id]); flash(id); }
      else if (res.status === 404) remove(id);
    }, function () {});
  }

  function tick(id, box) {
    var entry = items[id];
    if (!entry) return;
    box.disabled = true;
    call("PATCH", "/todos/" + encodeURIComponent(id), { done: box.checked }, ifMatch(entry.todo))
      .then(function (res) { settle(id, res); }, function () { box.checked = !box.checked; unreachable(); })
      .then(function () { box.disabled = false; });
  }

  // After a PATCH: show the new version, or say why not and show the latest.
  function settle(id, res) {
    if (res.status === 200) { say(""); show(res.body, false); return; }
    if (res.status === 412) { say(t("changed")); var e = items[id]; if (e) e.li.classList.remove("editing"); refresh(id); return; }
    if (res.status === 404) { say(t("gone")); remove(id); return; }
    var entry = items[id];
    if (entry) { entry.li.classList.remove("editing"); render(entry.li, entry.todo); }
    failed(res);
  }

  function edit(id) {
    var entry = items[id];
    if (!entry) return;
    var li = entry.li, todo = entry.todo;
    li.className = "editing";
    li.textContent = "";
    var form = document.createElement("form");
    form.setAttribute("data-testid", "edit-form");
    var title = document.createElement("input");
    title.type = "text";
    title.required = true;
    title.value = todo.title;
    title.setAttribute("aria-label", t("edit"));
    title.setAttribute("data-testid", "edit-title");
    var notes = document.createElement("textarea");
    notes.rows = 2;
    notes.value = todo.notes || "";
    notes.setAttribute("data-testid", "edit-notes");
    var save = document.createElement("button");
    save.type = "submit";
    save.textContent = t("save");
    save.setAttribute("data-testid", "save");
    var cancel = button(t("cancel"), "cancel", function () {
      li.classList.remove("editing");
      render(li, items[id].todo);
    });
    form.appendChild(title);
    form.appendChild(notes);
    form.appendChild(save);
    form.appendChild(cancel);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      save.disabled = true;
      // If-Match with the version the form was opened on: a change made elsewhere since
      // is not overwritten.
      call("PATCH", "/todos/" + encodeURIComponent(id), { title: title.value, notes: notes.value }, ifMatch(todo))
        .then(function (res) {
          if (res.status === 200) li.classList.remove("editing");
          settle(id, res);
        }, unreachable)
        .then(function () { save.disabled = false; });
    });
    li.appendChild(form);
    title.focus();
  }

  function del(id) {
    var entry = items[id];
    if (!entry) return;
    call("DELETE", "/todos/" + encodeURIComponent(id), undefined, ifMatch(entry.todo))
      .then(function (res) {
        if (res.status === 204) { say(""); remove(id); return; }
        if (res.status === 404) { remove(id); return; }
        if (res.status === 412) { say(t("changed")); refresh(id); return; }
        failed(res);
      }, unreachable);
  }

  add.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var title = document.getElementById("new-title");
    var notes = document.getElementById("new-notes");
    var submit = add.querySelector("button[type=submit]");
    submit.disabled = true;
    // One key per todo typed: a retry of this submission is answered, not applied again.
    var key = add.getAttribute("data-key") || newKey();
    add.setAttribute("data-key", key);
    call("POST", "/todos", { title: title.value, notes: notes.value }, { "Idempotency-Key": key })
      .then(function (res) {
        if (res.status === 201) {
          say("");
          add.removeAttribute("data-key");
          title.value = "";
          notes.value = "";
          show(res.body, true);
          flash(res.body.id);
        } else failed(res);
      }, unreachable)
      .then(function () { submit.disabled = false; title.focus(); });
  });
  add.addEventListener("input", function () { add.removeAttribute("data-key"); });
  filter.addEventListener("change", function () { load(true); });
  sort.addEventListener("change", function () { load(true); });
  more.addEventListener("click", function () { load(false); });

  function liveState(state) {
    live.setAttribute("data-state", state);
    live.classList.toggle("lost", state !== "live");
    if (!live.hasAttribute("data-live")) live.setAttribute("data-live", live.textContent);
    live.textContent = state === "live" ? live.getAttribute("data-live") : t("lost");
  }

  if (window.EventSource) {
    var source = new EventSource("/events");
    var wasLost = false;
    source.addEventListener("open", function () {
      liveState("live");
      if (wasLost) load(true); // catch up with what changed while the stream was down
      wasLost = false;
    });
    source.addEventListener("error", function () { wasLost = true; liveState("lost"); });
    source.addEventListener("change", function (e) {
      var change;
      try { change = JSON.parse(e.data); } catch (err) { return; }
      if (change.op === "deleted") { remove(change.id); return; }
      var entry = items[change.id];
      if (entry && entry.todo.version >= change.version) return; // this tab's own change
      refresh(change.id);
    });
    source.addEventListener("resync", function () { load(true); });
  }
  load(true);
})();
