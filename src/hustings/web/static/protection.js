// Safe inbox: blurred messages are revealed only when the reader chooses. No user text is
// inserted as HTML; this only removes a class.
(function () {
  "use strict";
  function reveal(card) {
    var text = card.querySelector(".text.blurred");
    if (!text) { return; }
    text.classList.remove("blurred");
    text.removeAttribute("role");
    text.setAttribute("aria-label", "Message text, shown");
    var button = card.querySelector(".reveal");
    if (button) { button.remove(); }
  }
  document.querySelectorAll(".message").forEach(function (card) {
    var text = card.querySelector(".text.blurred");
    var button = card.querySelector(".reveal");
    if (button) { button.addEventListener("click", function () { reveal(card); }); }
    if (text) {
      text.addEventListener("click", function () { reveal(card); });
      text.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); reveal(card); }
      });
    }
  });
})();
