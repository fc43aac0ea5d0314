/* Note editor: evidence highlighting, autosave messages, and keeping unsaved text in the tab.
   No inline script (CSP); htmx does the saving, this file only reacts to its events. */
(function () {
  "use strict";

  var STORE = "hearth-note-unsaved:";
  var edits = 0; // inputs since the page loaded
  var savedEdits = 0; // inputs covered by the last successful save
  var sentEdits = 0; // inputs covered by the request in flight
  var leaving = false; // following our own "sign in again" link: the tab keeps the text

  function noteForm() { return document.getElementById("note-form"); }
  function statusBox() { return document.getElementById("save-status"); }

  function say(text, kind, link) {
    var box = statusBox();
    if (!box) { return; }
    var span = document.createElement("span");
    span.className = "save-" + kind;
    span.textContent = text;
    if (link) {
      var a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      a.addEventListener("click", function () { leaving = true; });
      span.appendChild(document.createTextNode(" "));
      span.appendChild(a);
    }
    box.replaceChildren(span);
  }

  /* --- evidence: selecting a statement highlights the utterances it cites --- */
  function highlight(statement) {
    document.querySelectorAll(".utterance.evidence-highlight").forEach(function (u) {
      u.classList.remove("evidence-highlight");
    });
    document.querySelectorAll(".statement.is-selected").forEach(function (s) {
      s.classList.remove("is-selected");
    });
    statement.classList.add("is-selected");
    var verdict = statement.querySelector("[data-evidence]");
    var ids = verdict ? verdict.getAttribute("data-evidence").split(/\s+/) : [];
    var first = null;
    ids.forEach(function (id) {
      var u = id && document.getElementById("utt-" + id);
      if (u) {
        u.classList.add("evidence-highlight");
        first = first || u;
      }
    });
    if (first) { first.scrollIntoView({ block: "nearest" }); }
  }

  function onSelect(event) {
    var statement = event.target.closest && event.target.closest(".statement");
    if (statement && !statement.classList.contains("new-statement")) { highlight(statement); }
  }
  document.addEventListener("focusin", onSelect);
  document.addEventListener("click", onSelect);

  /* --- unsaved text is kept in this tab (sessionStorage) until the server has it --- */
  function snapshot(form) {
    var values = {};
    form.querySelectorAll("textarea").forEach(function (t) { values[t.name] = t.value; });
    var version = form.querySelector("#note-version");
    return { version: version ? version.value : "", values: values };
  }

  function remember(form) {
    try {
      sessionStorage.setItem(STORE + form.dataset.noteId, JSON.stringify(snapshot(form)));
    } catch (e) { /* storage full or disabled: the page still holds the text */ }
  }

  function forget(form) {
    try { sessionStorage.removeItem(STORE + form.dataset.noteId); } catch (e) { /* ignore */ }
  }

  function restore(form) {
    var raw = null;
    try { raw = sessionStorage.getItem(STORE + form.dataset.noteId); } catch (e) { return; }
    if (!raw) { return; }
    var saved;
    try { saved = JSON.parse(raw); } catch (e) { forget(form); return; }
    var current = form.querySelector("#note-version");
    var notice = document.getElementById("restore-notice");
    var changed = Object.keys(saved.values).filter(function (name) {
      var field = form.querySelector('textarea[name="' + CSS.escape(name) + '"]');
      return field && field.value !== saved.values[name];
    });
    if (!changed.length) { forget(form); return; }
    if (current && current.value === saved.version) {
      changed.forEach(function (name) {
        form.querySelector('textarea[name="' + CSS.escape(name) + '"]').value = saved.values[name];
      });
      if (notice) {
        notice.textContent = "Your unsaved changes from before were restored in this tab and are being saved.";
        notice.hidden = false;
      }
      edits += 1;
      htmx.trigger(form, "hearth-restore");
    } else if (notice) {
      notice.textContent = "This note changed elsewhere since you last typed here, so your unsaved text " +
        "was not applied. It is kept below so you can copy what you need: " +
        changed.map(function (n) { return saved.values[n]; }).filter(Boolean).join(" / ");
      notice.hidden = false;
    }
  }

  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("#note-form");
    if (!form) { return; }
    edits += 1;
    remember(form);
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target.id !== "note-form") { return; }
    sentEdits = edits;
    say("Saving…", "pending");
  });

  // The sign-in ended (401, with a redirect to the sign-in page) or the page's security token
  // no longer matches (403): stay on the page, keep the text, and offer to sign in again.
  document.addEventListener("htmx:beforeOnLoad", function (event) {
    if (event.target.id !== "note-form") { return; }
    var status = event.detail.xhr.status;
    if (status === 401 || status === 403) {
      event.preventDefault();
      say("Not saved: your session has ended. Your text is kept in this tab —", "error",
        { href: "/login?next=" + encodeURIComponent(location.pathname), text: "sign in again" });
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.target.id !== "note-form") { return; }
    var status = event.detail.xhr.status;
    if (status === 409 || status === 422) {
      event.detail.shouldSwap = true; // the server's message: saved elsewhere, or what is wrong
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.target.id !== "note-form" && !event.target.closest("#note-editor")) { return; }
    var form = noteForm();
    if (event.detail.successful && event.detail.xhr && event.detail.xhr.status === 200) {
      savedEdits = Math.max(savedEdits, sentEdits);
      if (form && savedEdits >= edits) { forget(form); }
    }
  });

  function offline() {
    say("Not saved: the connection was lost. Your text is kept in this tab; it is saved again " +
      "when you type or press Save.", "error");
  }
  document.addEventListener("htmx:sendError", offline);
  document.addEventListener("htmx:timeout", offline);

  window.addEventListener("beforeunload", function (event) {
    if (noteForm() && edits > savedEdits && !leaving) { event.preventDefault(); }
  });

  document.addEventListener("submit", function (event) {
    if (event.target.id !== "sign-form" || edits <= savedEdits) { return; }
    event.preventDefault();
    say("Wait until your last changes are saved, then sign.", "error");
    var form = noteForm();
    if (form) { htmx.trigger(form, "hearth-restore"); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var form = noteForm();
    if (form) { restore(form); }
  });
})();
