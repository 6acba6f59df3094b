// The waiting page: follows the first app that accepts this login, or shows the
// fallback when none answers in time. The session id never appears here: the event
// stream is authorized by the HttpOnly cookie.
(function () {
  "use strict";
  var source = new EventSource("/waiting/events");
  source.addEventListener("ready", function (event) {
    source.close();
    var data = JSON.parse(event.data);
    window.location.replace(data.redirect_url);
  });
  source.addEventListener("timeout", function () {
    source.close();
    window.location.replace("/waiting");
  });
})();
