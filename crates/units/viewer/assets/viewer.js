// The viewer page, live: when the state unit reports a change for the user on screen, the
// table is fetched again (rendered by the server, escaped there) and swapped in. While the
// event stream is down (the system stopped, the network gone) the notice says so instead of
// "Live"; when it is back, the table is fetched once to catch up.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.EventSource) return;
  var user = live.getAttribute("data-user");
  var pending = false;
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
        live.classList.add("pulse");
        setTimeout(function () { live.classList.remove("pulse"); }, 600);
      })
      .catch(function () { pending = false; });
  }
  function show(state) {
    if (live.getAttribute("data-state") === state) return;
    var lost = live.getAttribute("data-state") === "lost";
    live.setAttribute("data-state", state);
    live.textContent = live.getAttribute(state === "live" ? "data-live" : "data-lost");
    live.classList.toggle("lost", state === "lost");
    if (lost && state === "live") refresh();
  }
  var source = new EventSource("/events?user=" + encodeURIComponent(user));
  source.addEventListener("change", refresh);
  source.addEventListener("open", function () { show("live"); });
  source.addEventListener("error", function () { show("lost"); });
})();
