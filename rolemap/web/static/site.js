// Enhancements only: every page reads and every form posts without this script.
(function () {
  "use strict";
  // Move focus to a form's error summary, so a screen reader announces what to correct.
  var summary = document.querySelector("[data-focus]");
  if (summary) { summary.focus(); }

  // Ask before an action that cannot be undone (retiring an offering).
  document.querySelectorAll("button[data-confirm]").forEach(function (button) {
    button.form.addEventListener("submit", function (event) {
      if (event.submitter === button && !window.confirm(button.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  });

  // A live count under a text area with a minimum length (the decision's rationale).
  document.querySelectorAll("textarea[data-min]").forEach(function (area) {
    var min = parseInt(area.getAttribute("data-min"), 10);
    var note = document.createElement("p");
    note.className = "hint counter";
    note.setAttribute("aria-live", "polite");
    area.insertAdjacentElement("afterend", note);
    var update = function () {
      var n = area.value.trim().length;
      note.textContent = n + " / " + min + (n >= min ? " ✓" : "");
    };
    area.addEventListener("input", update);
    update();
  });
})();
