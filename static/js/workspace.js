/* The workspace's little JavaScript, in focused files that share `window.Workspace`:
   workspace.js (this one: the page's facts, the composer's modes, clicks, relative times),
   live.js (the websocket, presence, live updates merged into the page), drafts.js (what an
   agent types survives refusals and reloads), mentions.js (the @mention picker) and
   shortcuts.js (keyboard shortcuts, the undo notice). Everything else is server-rendered
   HTML; htmx fetches the fragments that change. */
(function () {
  "use strict";
  const body = document.body;
  const ws = (window.Workspace = {
    body: body,
    page: body.dataset.page,
    me: Number(body.dataset.userId),
    ticketId: Number(body.dataset.ticketId || 0),
    ticketNumber: Number(body.dataset.ticketNumber || 0),
  });

  /* A key pressed while the focus is in a field belongs to the field. */
  ws.inField = function (node) {
    return !!node && (/^(INPUT|TEXTAREA|SELECT)$/.test(node.tagName) || node.isContentEditable);
  };

  /* ---- Composer --------------------------------------------------------------------------- */
  ws.setMode = function (mode, focus) {
    document.querySelectorAll(".composer .mode").forEach(function (tab) {
      tab.setAttribute("aria-selected", String(tab.dataset.mode === mode));
    });
    document.querySelectorAll(".composer .pane").forEach(function (pane) {
      pane.hidden = pane.dataset.pane !== mode;
    });
    const composer = document.getElementById("composer");
    if (composer) composer.dataset.mode = mode;
    const area = document.querySelector(".pane-" + mode + " textarea");
    if (area && focus !== false) area.focus();
  };

  ws.insertAtCursor = function (area, text) {
    const start = area.selectionStart || 0;
    area.value = area.value.slice(0, start) + text + area.value.slice(area.selectionEnd || start);
    area.selectionStart = area.selectionEnd = start + text.length;
    area.dispatchEvent(new Event("input", { bubbles: true }));
    area.focus();
  };

  document.addEventListener("click", function (e) {
    const bell = e.target.closest("#bell");
    const dropdown = document.getElementById("notifications");
    if (bell) dropdown.classList.toggle("open");
    else if (dropdown && !e.target.closest("#notifications")) dropdown.classList.remove("open");
    const tab = e.target.closest(".composer .mode");
    if (tab) ws.setMode(tab.dataset.mode);
    const opener = e.target.closest("[data-open-dialog]");
    if (opener) document.getElementById(opener.dataset.openDialog).showModal();
    const closer = e.target.closest("[data-close-dialog]");
    if (closer) closer.closest("dialog").close();
    if (e.target.id === "select-all") {
      document.querySelectorAll('#queue-live input[name="ticket"]').forEach(function (box) {
        box.checked = e.target.checked;
      });
    }
  });

  document.addEventListener("change", function (e) {
    if (e.target.classList.contains("canned") && e.target.value) {
      fetch(e.target.dataset.url + e.target.value + "/", { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) { ws.insertAtCursor(document.getElementById("reply-text"), data.text); });
      e.target.value = "";
    }
  });

  /* ---- Relative times ("5 minutes ago"), in the page's language -------------------------- */
  ws.relativeTimes = function (root) {
    if (!window.Intl || !Intl.RelativeTimeFormat) return;
    const format = new Intl.RelativeTimeFormat(document.documentElement.lang || "en", { numeric: "auto" });
    const steps = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400],
                   ["hour", 3600], ["minute", 60], ["second", 1]];
    (root || document).querySelectorAll("time[data-relative]").forEach(function (node) {
      const seconds = (new Date(node.getAttribute("datetime")) - Date.now()) / 1000;
      if (isNaN(seconds)) return;
      const step = steps.find(function (s) { return Math.abs(seconds) >= s[1]; }) || steps[steps.length - 1];
      if (!node.title) node.title = node.textContent;
      node.textContent = format.format(Math.round(seconds / step[1]), step[0]);
    });
  };
  document.addEventListener("htmx:afterSwap", function (e) { ws.relativeTimes(e.target); });
  /* A refused bulk action answers 4xx with its reason: show it where the progress goes. */
  document.addEventListener("htmx:beforeSwap", function (e) {
    const status = e.detail.xhr.status;
    if (status >= 400 && status < 500 && e.detail.target && e.detail.target.closest("#bulk-result")) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });

  /* ---- Start -------------------------------------------------------------------------------- */
  document.addEventListener("DOMContentLoaded", function () {
    ws.relativeTimes();
    const selected = document.querySelector(".composer .mode[aria-selected='true']");
    if (selected) document.getElementById("composer").dataset.mode = selected.dataset.mode;
  });
})();
