// Safe inbox: masked messages arrive as a label and a summary; their text is fetched from the
// server (htmx) only when the reader chooses "Show message". With "reveal one at a time", showing
// one masks any other shown message again. No user text is inserted here: htmx swaps in HTML
// the server rendered (and escaped).
(function () {
  "use strict";
  // htmx:load fires on each element a swap put into the page (an outerHTML swap's old target is
  // gone by then, so its afterSwap would not reach the body).
  document.body.addEventListener("htmx:load", function (event) {
    var shown = event.target;
    if (!shown || !shown.classList || !shown.classList.contains("revealed")) { return; }
    var list = shown.closest("[data-one-at-a-time]");
    if (!list || list.getAttribute("data-one-at-a-time") !== "true") { return; }
    list.querySelectorAll(".body.revealed").forEach(function (other) {
      if (other === shown) { return; }
      var again = other.querySelector(".mask-again");
      if (again && window.htmx) {
        window.htmx.ajax("GET", again.getAttribute("hx-get"), { target: "#" + other.id, swap: "outerHTML" });
      }
    });
  });
})();
