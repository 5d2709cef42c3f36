/* Keyboard shortcuts (the list is in the "?" dialog). None fires while the focus is in a
   field, while a dialog is open, or with a modifier key held.

   `s` (solve) is the one that reaches the customer, so it is not sent at once: a notice
   offers Undo (the button, or `z`) for a few seconds, and only then is the change posted;
   leaving the page meanwhile posts it at once. Until then nothing has changed on the
   server, so nobody (the customer included) hears of it. */
(function () {
  "use strict";
  const ws = window.Workspace;
  const UNDO_SECONDS = 6;
  let pendingG = false;
  let pending = null; // { formId, timer, tick }

  /* ---- The undo notice -------------------------------------------------------------------- */
  function toast() { return document.getElementById("undo-toast"); }

  function later(formId) {
    const box = toast();
    if (!box || pending) return;
    let left = UNDO_SECONDS;
    const text = box.querySelector(".toast-text");
    const render = function () { text.textContent = box.dataset.text.replace("%s", left); };
    render();
    box.hidden = false;
    pending = {
      formId: formId,
      tick: setInterval(function () { left -= 1; if (left > 0) render(); }, 1000),
      timer: setTimeout(commit, UNDO_SECONDS * 1000),
    };
  }

  function finish() {
    clearTimeout(pending.timer);
    clearInterval(pending.tick);
    // Looked up now: a live update may have rendered the side panel (and the form) anew.
    const form = document.getElementById(pending.formId);
    pending = null;
    return form;
  }

  function commit() {
    if (!pending) return;
    const form = finish();
    toast().querySelector(".toast-text").textContent = toast().dataset.done;
    toast().querySelector("[data-undo]").hidden = true;
    if (form) form.requestSubmit();
  }

  function undo() {
    if (!pending) return;
    finish();
    const box = toast();
    box.querySelector(".toast-text").textContent = box.dataset.undone;
    box.querySelector("[data-undo]").hidden = true;
    setTimeout(function () {
      if (pending) return;
      box.hidden = true;
      box.querySelector("[data-undo]").hidden = false;
    }, 2500);
  }

  document.addEventListener("click", function (e) {
    if (e.target.closest("#undo-toast [data-undo]")) undo();
  });

  // Leaving the page (a link, `n`, a reload) makes the change final rather than losing it.
  window.addEventListener("pagehide", function () {
    if (!pending) return;
    const form = finish();
    if (form) navigator.sendBeacon(form.action, new FormData(form));
  });

  /* ---- The queue's selection -------------------------------------------------------------- */
  function rows() { return Array.from(document.querySelectorAll("#queue-live tr.row")); }
  function moveSelection(step) {
    const all = rows();
    if (!all.length) return;
    let index = all.findIndex(function (r) { return r.classList.contains("selected"); });
    if (index >= 0) all[index].classList.remove("selected");
    index = Math.max(0, Math.min(all.length - 1, index + step));
    all[index].classList.add("selected");
    all[index].scrollIntoView({ block: "nearest" });
  }
  function selectedRow() { return document.querySelector("#queue-live tr.row.selected"); }

  /* ---- The keys ------------------------------------------------------------------------- */
  document.addEventListener("keydown", function (e) {
    const typing = ws.inField(e.target);
    if (e.key === "Escape" && typing && !e.defaultPrevented) { e.target.blur(); return; }
    if (typing || e.defaultPrevented || e.isComposing || e.repeat) return;
    if (e.ctrlKey || e.metaKey || e.altKey || document.querySelector("dialog[open]")) return;
    const key = e.key;
    const page = ws.page;
    if (pendingG) {
      pendingG = false;
      if (key === "q") { location.href = "/tickets/"; e.preventDefault(); }
      return;
    }
    if (key === "g") { pendingG = true; return; }
    if (key === "z" && pending) { undo(); e.preventDefault(); }
    else if (key === "?") { document.getElementById("shortcuts").showModal(); e.preventDefault(); }
    else if (key === "/") { document.getElementById("global-search").focus(); e.preventDefault(); }
    else if (page === "queue" && key === "j") moveSelection(1);
    else if (page === "queue" && key === "k") moveSelection(-1);
    else if (page === "queue" && (key === "o" || key === "Enter") && selectedRow()) {
      location.href = "/tickets/" + selectedRow().dataset.number + "/";
    } else if (page === "queue" && key === "x" && selectedRow()) {
      const box = selectedRow().querySelector('input[name="ticket"]');
      if (box) box.checked = !box.checked;
    } else if (page === "queue" && key === "n") {
      location.href = "/tickets/?queue=mine";
    } else if (page === "ticket" && key === "r" && document.getElementById("mode-reply")) {
      ws.setMode("reply"); e.preventDefault();
    } else if (page === "ticket" && key === "c" && document.getElementById("mode-comment")) {
      ws.setMode("comment"); e.preventDefault();
    } else if (page === "ticket" && key === "a" && document.getElementById("assign-me")) {
      document.getElementById("assign-me").requestSubmit();
    } else if (page === "ticket" && key === "s" && document.getElementById("solve-form")) {
      later("solve-form"); e.preventDefault();
    } else if (page === "ticket" && key === "n") {
      location.href = "/tickets/?queue=mine";
    }
  });
})();
