/* Drafts: what an agent types in the composer is kept in this browser (localStorage), per
   user, ticket and pane (reply / comment), so a refused reply, a reload or a closed tab
   loses nothing. A draft is forgotten only when the server says that pane's text was sent
   (the success message carries data-sent-draft="reply" or "comment"). */
(function () {
  "use strict";
  const ws = window.Workspace;
  if (ws.page !== "ticket" || !ws.ticketId) return;

  function key(mode) { return "helpdesk.draft." + ws.me + "." + ws.ticketId + "." + mode; }

  function read(mode) {
    try { return localStorage.getItem(key(mode)) || ""; } catch (e) { return ""; }
  }

  function write(mode, text) {
    try {
      if (text.trim()) localStorage.setItem(key(mode), text);
      else localStorage.removeItem(key(mode));
    } catch (e) { /* storage full or disabled: the text stays in the field */ }
  }

  function areaMode(area) {
    const pane = area.closest(".composer .pane");
    return pane && area.name === "text" ? pane.dataset.pane : null;
  }

  document.addEventListener("input", function (e) {
    const mode = areaMode(e.target);
    if (mode) write(mode, e.target.value);
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-sent-draft]").forEach(function (flash) {
      write(flash.dataset.sentDraft, "");
    });
    let restored = null;
    document.querySelectorAll(".composer .pane textarea[name='text']").forEach(function (area) {
      const mode = areaMode(area);
      const text = read(mode);
      if (!text || area.value.trim()) return;
      area.value = text;
      const pane = area.closest(".pane");
      const note = pane.querySelector(".draft-note");
      if (note) note.hidden = false;
      if (!restored || !pane.hidden) restored = mode;
    });
    // Only a comment was left unsent: open the comment pane, where the text is.
    const current = document.getElementById("composer");
    if (restored && current && current.dataset.mode !== restored && !read(current.dataset.mode)) {
      ws.setMode(restored, false);
    }
  });
})();
