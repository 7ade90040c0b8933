/* Small enhancements on top of htmx; every page works without this file. */
(function () {
  "use strict";
  // After a boosted navigation (e.g. switching party) the whole page changed: put focus on its heading
  // so screen-reader and keyboard users start at the top of the new content.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!event.detail || !event.detail.boosted) { return; }
    var heading = document.querySelector("main h1");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  });
})();
