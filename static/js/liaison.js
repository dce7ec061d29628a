// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Move focus to the error summary so screen reader and keyboard users hear the problem first.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }

  var store = null;
  try { store = window.localStorage; } catch (e) { store = null; }

  // Drafts: what a person typed and has not yet sent, kept on this device so that a lost
  // signal, a closed tab or an expired session never loses it. A family computer is often
  // shared, so each draft is encrypted with a key only its author's pages carry
  // (data-draft-key) and stored under their own name (data-draft-owner): nobody else's pages
  // can show it, and storage holds nothing readable. Without Web Crypto nothing is kept.
  var body = document.body;
  var owner = body.getAttribute("data-draft-owner");
  var rawKey = body.getAttribute("data-draft-key");
  var subtle = window.crypto && window.crypto.subtle;
  var PREFIX = "liaison-draft:v2:";
  if (store) {
    // Drafts of earlier versions were kept in the clear under one name for everyone.
    for (var i = store.length - 1; i >= 0; i--) {
      var name = store.key(i);
      if (name && name.indexOf("liaison-draft:") === 0 && name.indexOf(PREFIX) !== 0) { store.removeItem(name); }
    }
  }
  var drafts = (store && owner && rawKey && subtle) ? makeDrafts() : null;

  function b64decode(text) {
    var bin = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out;
  }
  function b64encode(bytes) {
    var bin = "";
    bytes = new Uint8Array(bytes);
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin);
  }

  function makeDrafts() {
    var key = subtle.importKey("raw", b64decode(rawKey), { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
    var mine = PREFIX + owner + ":";
    return {
      name: function (form) { return mine + form; },
      save: function (form, data) {
        var iv = window.crypto.getRandomValues(new Uint8Array(12));
        var plain = new TextEncoder().encode(JSON.stringify(data));
        return key.then(function (k) {
          return subtle.encrypt({ name: "AES-GCM", iv: iv }, k, plain);
        }).then(function (sealed) {
          try { store.setItem(mine + form, JSON.stringify({ iv: b64encode(iv), data: b64encode(sealed) })); } catch (e) { /* storage full or disabled */ }
        });
      },
      load: function (form) {
        var item = null;
        try { item = JSON.parse(store.getItem(mine + form) || "null"); } catch (e) { item = null; }
        if (!item || !item.iv || !item.data) { return Promise.resolve(null); }
        return key.then(function (k) {
          return subtle.decrypt({ name: "AES-GCM", iv: b64decode(item.iv) }, k, b64decode(item.data));
        }).then(function (plain) {
          return JSON.parse(new TextDecoder().decode(plain));
        }, function () {
          // Locked with a key these pages no longer have (the service's secret changed).
          store.removeItem(mine + form);
          return null;
        });
      },
      forget: function (form) { store.removeItem(mine + form); },
      any: function () {
        for (var i = 0; i < store.length; i++) {
          if ((store.key(i) || "").indexOf(mine) === 0) { return true; }
        }
        return false;
      },
      forgetAll: function () {
        for (var i = store.length - 1; i >= 0; i--) {
          var name = store.key(i) || "";
          if (name.indexOf(mine) === 0) { store.removeItem(name); }
        }
      }
    };
  }

  // The server confirmed a save: forget the draft it came from.
  var cleared = document.querySelector("[data-clear-draft]");
  if (cleared && drafts) { drafts.forget(cleared.getAttribute("data-clear-draft")); }

  var pending = null;
  var form = document.querySelector("form[data-draft]");
  if (form && drafts) {
    var formName = form.getAttribute("data-draft");
    var status = form.querySelector("[data-draft-status]");
    var fields = form.querySelectorAll("input[type=text], input[type=number], input[type=datetime-local], textarea, select");
    var touched = [];
    var collect = function () {
      var data = {};
      Array.prototype.forEach.call(fields, function (el, i) { data[el.name + "#" + i] = el.value; });
      return data;
    };
    // Put back what was kept, except in a field typed in meanwhile; nothing is saved until
    // this has settled, so a draft is never overwritten before it was read.
    var loaded = summary ? Promise.resolve() : drafts.load(formName).then(function (saved) {
      if (!saved) { return; }
      var restored = false;
      Array.prototype.forEach.call(fields, function (el, i) {
        var name = el.name + "#" + i;
        if (!touched[i] && saved[name] !== undefined && saved[name] !== el.value && el.name !== "occurred_at") {
          el.value = saved[name];
          restored = true;
        }
      });
      if (restored && status) { status.textContent = body.getAttribute("data-draft-restored"); }
    });
    var timer = null;
    var flush = function () {
      clearTimeout(timer);
      timer = null;
      return loaded.then(function () { return drafts.save(formName, collect()); }).then(function () {
        if (status) { status.textContent = body.getAttribute("data-draft-kept"); }
      });
    };
    form.addEventListener("input", function (event) {
      var at = Array.prototype.indexOf.call(fields, event.target);
      if (at >= 0) { touched[at] = true; }
      clearTimeout(timer);
      timer = setTimeout(flush, 400);
    });
    // Sending it: the server's answer says whether it was saved (data-clear-draft).
    form.addEventListener("submit", function () { clearTimeout(timer); timer = null; });
    pending = function () { return timer !== null ? flush() : Promise.resolve(); };
  }

  // Signing out with a draft kept: ask whether to keep it on this device or delete it.
  var dialog = document.querySelector("dialog[data-draft-dialog]");
  Array.prototype.forEach.call(document.querySelectorAll("form[action$='/logout'], form[action$='/sign-out'], form[action$='/sign-out-everywhere']"), function (signOut) {
    signOut.addEventListener("submit", function (event) {
      if (!drafts || !dialog || typeof dialog.showModal !== "function") { return; }
      event.preventDefault();
      var ask = function () {
        if (!drafts.any()) { signOut.submit(); return; }
        // Escape closes the dialog as "stay signed in" does.
        dialog.onclick = function (e) {
          var choice = e.target.getAttribute("data-draft-choice");
          if (!choice) { return; }
          dialog.close();
          if (choice === "cancel") { return; }
          if (choice === "discard") { drafts.forgetAll(); }
          signOut.submit();
        };
        dialog.showModal();
        var first = dialog.querySelector("[data-draft-choice]");
        if (first) { first.focus(); }
      };
      (pending ? pending() : Promise.resolve()).then(ask, ask);
    });
  });

  // A shared or public device: the session ends after data-idle-seconds without use. Using
  // the page (typing included) tells the server now and then, so that a message being
  // typed keeps the session; a warning comes first; at the end the page signs out, so nothing
  // of the case stays on the screen. The tabs of one browser share when it was last used (a
  // time, nothing of the case), so a forgotten tab does not sign out the one in use.
  var idleSeconds = parseInt(body.getAttribute("data-idle-seconds") || "0", 10);
  var idleDialog = document.querySelector("dialog[data-idle-dialog]");
  if (idleSeconds > 0) {
    var lastUse = Date.now();
    var lastTold = Date.now();
    var warnAfter = (idleSeconds - Math.min(120, idleSeconds / 3)) * 1000;
    var tellEvery = Math.min(60000, idleSeconds * 1000 / 4);
    var signOutForm = document.querySelector("form[action$='/sign-out']");
    var tell = function () {
      lastTold = Date.now();
      fetch("/family/still-here", { credentials: "same-origin", redirect: "manual" }).then(function (res) {
        if (res.status !== 204) { window.location.assign("/family/sign-in"); }
      }, function () { /* offline: the next use tries again */ });
    };
    var SHARED_USE = "liaison-last-use";
    var latestUse = function () {
      var other = 0;
      try { other = parseInt((store && store.getItem(SHARED_USE)) || "0", 10) || 0; } catch (e) { other = 0; }
      return Math.max(lastUse, other);
    };
    var used = function () {
      lastUse = Date.now();
      try { if (store) { store.setItem(SHARED_USE, String(lastUse)); } } catch (e) { /* storage off */ }
      if (idleDialog && idleDialog.open) { idleDialog.close(); }
      if (Date.now() - lastTold > tellEvery) { tell(); }
    };
    ["input", "keydown", "pointerdown", "scroll"].forEach(function (kind) {
      document.addEventListener(kind, used, { passive: true, capture: true });
    });
    if (idleDialog) {
      idleDialog.addEventListener("close", used);
      var stay = idleDialog.querySelector("[data-idle-stay]");
      if (stay) { stay.addEventListener("click", function () { idleDialog.close(); tell(); }); }
    }
    var watch = setInterval(function () {
      var quiet = Date.now() - latestUse();
      if (quiet >= idleSeconds * 1000) {
        clearInterval(watch);
        Array.prototype.forEach.call(document.querySelectorAll("textarea, input[type=text]"), function (el) { el.value = ""; });
        try { if (store) { store.removeItem(SHARED_USE); } } catch (e) { /* storage off */ }
        if (signOutForm) { signOutForm.submit(); } else { window.location.assign("/family/sign-in"); }
      } else if (quiet < warnAfter && idleDialog && idleDialog.open) {
        idleDialog.close();
      } else if (quiet >= warnAfter && idleDialog && !idleDialog.open && typeof idleDialog.showModal === "function") {
        idleDialog.showModal();
        var button = idleDialog.querySelector("[data-idle-stay]");
        if (button) { button.focus(); }
      }
    }, 1000);
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
