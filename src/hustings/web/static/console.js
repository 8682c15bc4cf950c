// Moderation console: keyboard shortcuts, blur-until-revealed, greyscale, and a decision form
// that fills the statement of reasons from the chosen policy rule. No user text is inserted as HTML.
(function () {
  "use strict";
  var GREY = "hustings.greyscale";

  function typing(event) {
    var t = event.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }

  function applyGrey(on) {
    document.body.classList.toggle("greyscale", on);
    document.querySelectorAll(".greyscale-toggle").forEach(function (b) { b.setAttribute("aria-pressed", on ? "true" : "false"); });
  }
  function toggleGrey() {
    var on = !document.body.classList.contains("greyscale");
    try { localStorage.setItem(GREY, on ? "1" : "0"); } catch (e) { /* private mode: no persistence */ }
    applyGrey(on);
  }
  try { applyGrey(localStorage.getItem(GREY) === "1"); } catch (e) { applyGrey(false); }
  document.querySelectorAll(".greyscale-toggle").forEach(function (b) { b.addEventListener("click", toggleGrey); });

  function reveal(el) { el.classList.add("revealed"); el.setAttribute("aria-label", "Message text, revealed"); }
  document.querySelectorAll(".blurred").forEach(function (el) {
    el.addEventListener("click", function () { reveal(el); });
    el.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); reveal(el); } });
  });

  // Queue page: move through rows, open one.
  var rows = Array.prototype.slice.call(document.querySelectorAll("table.queue tr[data-href]"));
  var selected = rows.length ? 0 : -1;
  function select(i) {
    if (!rows.length) { return; }
    selected = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach(function (r, n) { r.classList.toggle("selected", n === selected); });
    rows[selected].focus();
  }
  if (rows.length) { rows[0].classList.add("selected"); }
  rows.forEach(function (r, n) { r.addEventListener("dblclick", function () { window.location = r.dataset.href; }); r.addEventListener("click", function () { select(n); }); });

  function submit(id) { var f = document.getElementById(id); if (f) { var b = f.querySelector("button[type=submit]"); if (b && !b.disabled) { f.requestSubmit(); } } }
  function focus(id) { var el = document.getElementById(id); if (el) { el.scrollIntoView({block: "center"}); el.focus(); } }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e)) { return; }
    var next = document.getElementById("next-item");
    switch (e.key) {
      case "j": select(selected + 1); break;
      case "k": select(selected - 1); break;
      case "o": case "Enter": if (rows.length && selected >= 0) { window.location = rows[selected].dataset.href; } else { return; } break;
      case "n": if (next) { window.location = next.getAttribute("href"); } break;
      case "c": submit("claim-form"); break;
      case "u": submit("release-form"); break;
      case "s": submit("skip-form"); break;
      case "d": focus("policy-rule"); break;
      case "e": focus("escalate-reason"); break;
      case "x": if (rows.length && selected >= 0) { var box = rows[selected].querySelector("input[type=checkbox]"); if (box) { box.checked = !box.checked; } } else { return; } break;
      case "r": document.querySelectorAll(".blurred").forEach(reveal); break;
      case "g": toggleGrey(); break;
      default: return;
    }
    e.preventDefault();
  });

  // Decision form: the rule shows the policy's suggested action (the moderator still chooses
  // one), fills the facts and the statement preview; a template fills the facts.
  var rule = document.getElementById("policy-rule");
  var facts = document.getElementById("decision-facts");
  var action = document.getElementById("action");
  var template = document.getElementById("reason-template");
  if (template && facts) {
    template.addEventListener("change", function () { if (template.value) { facts.value = template.value; } });
  }
  if (rule && facts && action) {
    var edited = false;
    facts.addEventListener("input", function () { edited = true; });
    rule.addEventListener("change", function () {
      var o = rule.options[rule.selectedIndex];
      var hint = document.querySelector("#action-hint [data-field=suggested]");
      if (hint) { hint.textContent = o.dataset.default.replace(/_/g, " "); }
      if (!edited) { facts.value = o.dataset.facts; }
      var preview = document.getElementById("statement-preview");
      if (preview) {
        preview.querySelector("[data-field=ground]").textContent = o.dataset.ground;
        preview.querySelector("[data-field=legal]").textContent = o.dataset.legal;
        preview.querySelector("[data-field=explanation]").textContent = o.dataset.explanation;
        preview.querySelector("[data-field=category]").textContent = o.dataset.category;
      }
    });
  }
})();
