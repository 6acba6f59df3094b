// The viewer page.
// - Live: when the state unit reports a change for the user on screen, the table is fetched
//   again (rendered by the server, escaped there) and swapped in. While the event stream is
//   down (the system stopped, the network gone) the notice says so instead of "Live"; when it
//   is back, the table is fetched once to catch up. The viewer also says when it lost the
//   broker or the state unit (a `status` event), so "Live" is never shown while it is not.
//   "Delete all keys" follows the table: hidden while it is empty.
// - The editor: a value larger than the state unit takes is not sent; the page says so and the
//   text stays where it is (the server would refuse it, and a refused form loses the text).
(function () {
  "use strict";
  var value = document.getElementById("value");
  var editor = document.getElementById("editor");
  var warning = document.getElementById("value-size");
  if (!value || !editor || !warning || !window.TextEncoder) return;
  var max = Number(value.getAttribute("data-max-bytes"));
  function size() { return new TextEncoder().encode(value.value).length; }
  editor.addEventListener("submit", function (e) {
    var n = size();
    if (!(max > 0) || n <= max) return;
    e.preventDefault();
    warning.textContent = value.getAttribute("data-too-large")
      .replace("{size}", n.toLocaleString()).replace("{limit}", max.toLocaleString());
    warning.hidden = false;
    value.focus();
  });
  value.addEventListener("input", function () {
    if (!warning.hidden && size() <= max) warning.hidden = true;
  });
})();
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.EventSource) return;
  var user = live.getAttribute("data-user");
  var pending = false;
  // "Delete all keys" only while there are keys; its panel only while something is in it.
  function showClear() {
    var clear = document.getElementById("clear-all");
    if (!clear) return;
    clear.hidden = !!document.querySelector("#keys [data-testid=empty]");
    var panel = clear.parentNode;
    panel.hidden = !Array.prototype.some.call(panel.children, function (c) { return !c.hidden; });
  }
  function refresh() {
    if (pending) return;
    pending = true;
    fetch("/table?user=" + encodeURIComponent(user), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        pending = false;
        if (html === null) return;
        var table = document.getElementById("keys");
        if (table) table.outerHTML = html;
        showClear();
        live.classList.add("pulse");
        setTimeout(function () { live.classList.remove("pulse"); }, 600);
      })
      .catch(function () { pending = false; });
  }
  // States: "live"; "lost" (this page's stream dropped); "broker" and "state" (the viewer
  // says it lost the broker or the state unit).
  var texts = { live: "data-live", lost: "data-lost", broker: "data-broker", state: "data-no-state" };
  function show(state) {
    if (!texts[state] || live.getAttribute("data-state") === state) return;
    var was = live.getAttribute("data-state");
    live.setAttribute("data-state", state);
    live.textContent = live.getAttribute(texts[state]);
    live.classList.toggle("lost", state !== "live");
    if (was !== "live" && state === "live") refresh();
  }
  var source = new EventSource("/events?user=" + encodeURIComponent(user));
  source.addEventListener("change", refresh);
  // The viewer sends its status first on every (re)opened stream.
  source.addEventListener("status", function (e) { show(e.data); });
  source.addEventListener("error", function () { show("lost"); });
})();
