// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Move focus to the error summary so screen reader and keyboard users hear the problem first.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }

  var store = null;
  try { store = window.localStorage; } catch (e) { store = null; }

  // The server confirmed a save: forget the draft it came from.
  var cleared = document.querySelector("[data-clear-draft]");
  if (cleared && store) { store.removeItem("liaison-draft:" + cleared.getAttribute("data-clear-draft")); }

  // Keep what is typed in a draft form on this device until the server confirms the save, so
  // that a lost signal, a closed tab or an expired session never loses it.
  var form = document.querySelector("form[data-draft]");
  if (form && store) {
    var key = "liaison-draft:" + form.getAttribute("data-draft");
    var status = form.querySelector("[data-draft-status]");
    var fields = form.querySelectorAll("input[type=text], input[type=number], input[type=datetime-local], textarea, select");
    var saved = null;
    try { saved = JSON.parse(store.getItem(key) || "null"); } catch (e) { saved = null; }
    var hasErrors = !!summary;
    if (saved && !hasErrors) {
      var restored = false;
      Array.prototype.forEach.call(fields, function (el, i) {
        var name = el.name + "#" + i;
        if (saved[name] !== undefined && saved[name] !== el.value && el.name !== "occurred_at") {
          el.value = saved[name];
          restored = true;
        }
      });
      if (restored && status) { status.textContent = "Your unsaved draft from this device has been put back."; }
    }
    var timer = null;
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var data = {};
        Array.prototype.forEach.call(fields, function (el, i) { data[el.name + "#" + i] = el.value; });
        try { store.setItem(key, JSON.stringify(data)); } catch (e) { /* storage full or disabled */ }
        if (status) { status.textContent = "Draft kept on this device."; }
      }, 400);
    });
  }

  // Character counts for limited text.
  Array.prototype.forEach.call(document.querySelectorAll("textarea[data-max]"), function (el) {
    var max = parseInt(el.getAttribute("data-max"), 10);
    var note = document.createElement("p");
    note.className = "hint count";
    note.setAttribute("aria-live", "polite");
    el.parentNode.appendChild(note);
    var update = function () {
      var left = max - el.value.length;
      note.textContent = left < 500 ? (left >= 0 ? left + " characters left" : (-left) + " characters too many") : "";
    };
    el.addEventListener("input", update);
    update();
  });
})();
