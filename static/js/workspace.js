/* The workspace's little JavaScript: live updates over the websocket, presence, the
   composer (modes, canned responses, @mentions) and keyboard shortcuts. Everything else is
   server-rendered HTML; htmx fetches the fragments that change. */
(function () {
  "use strict";
  const body = document.body;
  const page = body.dataset.page;
  const me = Number(body.dataset.userId);
  const ticketId = Number(body.dataset.ticketId || 0);
  const ticketNumber = Number(body.dataset.ticketNumber || 0);

  /* ---- Live updates ------------------------------------------------------------------- */
  let socket = null;
  let retry = 500;
  const refreshTimers = {};

  function refresh(target, url) {
    // Coalesce bursts: at most one fetch per target every 300 ms.
    if (refreshTimers[target]) return;
    refreshTimers[target] = setTimeout(function () {
      delete refreshTimers[target];
      if (target === "#queue-live" && document.querySelector('#queue-live input[name="ticket"]:checked')) {
        return; // do not throw away the agent's selection
      }
      htmx.ajax("GET", url, { target: target, swap: "innerHTML" });
    }, 300);
  }

  function onEvent(event) {
    if (event.type === "presence") return showPresence(event);
    if (event.type === "notification.created") return refreshBell();
    if (page === "queue" && body.dataset.firstPage === "1") {
      refresh("#queue-live", body.dataset.liveUrl);
    }
    if (page === "ticket" && event.ticket_id === ticketId && event.type !== "ticket.created") {
      refresh("#ticket-live", body.dataset.liveUrl);
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    // Websockets may be served on a port of their own (`make run`); else on the page's.
    const port = body.dataset.realtimePort;
    const host = port ? location.hostname + ":" + port : location.host;
    socket = new WebSocket(scheme + "://" + host + "/ws/");
    socket.onopen = function () {
      retry = 500;
      if (ticketNumber) {
        socket.send(JSON.stringify({ action: "watch", number: ticketNumber }));
        sendPresence();
      }
    };
    socket.onmessage = function (message) {
      try { onEvent(JSON.parse(message.data)); } catch (e) { /* ignore a bad frame */ }
    };
    socket.onclose = function () {
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 15000);
    };
  }

  /* ---- Presence: who else has this ticket open, and who is writing ---------------------- */
  const seen = {};
  let typingUntil = 0;

  function sendPresence() {
    if (!socket || socket.readyState !== WebSocket.OPEN || !ticketNumber) return;
    const state = Date.now() < typingUntil ? "typing" : "viewing";
    socket.send(JSON.stringify({ action: "presence", number: ticketNumber, state: state }));
  }

  function showPresence(event) {
    if (event.user_id === me || event.ticket_id !== ticketId) return;
    seen[event.user_id] = { name: event.name, state: event.state, at: Date.now() };
    renderPresence();
  }

  function renderPresence() {
    const box = document.getElementById("presence");
    if (!box) return;
    const now = Date.now();
    const lines = [];
    Object.keys(seen).forEach(function (id) {
      const p = seen[id];
      if (now - p.at > 25000) { delete seen[id]; return; }
      lines.push(p.state === "typing" ? box.dataset.typing.replace("%s", p.name)
                                      : box.dataset.viewing.replace("%s", p.name));
    });
    box.textContent = lines.join(" · ");
    box.hidden = lines.length === 0;
  }

  function refreshBell() {
    htmx.ajax("GET", "/notifications/", { target: "#notifications", swap: "innerHTML" });
  }

  /* ---- Composer --------------------------------------------------------------------------- */
  function setMode(mode) {
    document.querySelectorAll(".composer .mode").forEach(function (tab) {
      tab.setAttribute("aria-selected", String(tab.dataset.mode === mode));
    });
    document.querySelectorAll(".composer .pane").forEach(function (pane) {
      pane.hidden = pane.dataset.pane !== mode;
    });
    const composer = document.getElementById("composer");
    if (composer) composer.dataset.mode = mode;
    const area = document.querySelector(".pane-" + mode + " textarea");
    if (area) area.focus();
  }

  function insertAtCursor(area, text) {
    const start = area.selectionStart || 0;
    area.value = area.value.slice(0, start) + text + area.value.slice(area.selectionEnd || start);
    area.selectionStart = area.selectionEnd = start + text.length;
    area.focus();
  }

  document.addEventListener("click", function (e) {
    const bell = e.target.closest("#bell");
    const dropdown = document.getElementById("notifications");
    if (bell) dropdown.classList.toggle("open");
    else if (dropdown && !e.target.closest("#notifications")) dropdown.classList.remove("open");
    const tab = e.target.closest(".composer .mode");
    if (tab) setMode(tab.dataset.mode);
    const opener = e.target.closest("[data-open-dialog]");
    if (opener) document.getElementById(opener.dataset.openDialog).showModal();
    const closer = e.target.closest("[data-close-dialog]");
    if (closer) closer.closest("dialog").close();
    if (e.target.id === "select-all") {
      document.querySelectorAll('#queue-live input[name="ticket"]').forEach(function (box) {
        box.checked = e.target.checked;
      });
    }
    const mention = e.target.closest(".mention-list li");
    if (mention) chooseMention(mention);
  });

  document.addEventListener("change", function (e) {
    if (e.target.classList.contains("canned") && e.target.value) {
      fetch(e.target.dataset.url + e.target.value + "/", { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) { insertAtCursor(document.getElementById("reply-text"), data.text); });
      e.target.value = "";
    }
  });

  /* @mentions: type @ and a few letters in an internal comment. */
  let mentionStart = -1;
  function mentionQuery(area) {
    const upto = area.value.slice(0, area.selectionStart);
    const match = /(^|\s)@([\w.\-]*)$/.exec(upto);
    if (!match) return null;
    mentionStart = upto.length - match[2].length - 1;
    return match[2];
  }

  function chooseMention(item) {
    const area = document.querySelector("textarea.mentionable");
    const before = area.value.slice(0, mentionStart);
    const after = area.value.slice(area.selectionStart);
    area.value = before + "@" + item.dataset.handle + " " + after;
    area.selectionStart = area.selectionEnd = before.length + item.dataset.handle.length + 2;
    item.parentElement.hidden = true;
    area.focus();
  }

  document.addEventListener("input", function (e) {
    if (e.target.closest(".composer")) {
      typingUntil = Date.now() + 5000;
      if (!e.target.dataset.announced || Date.now() - e.target.dataset.announced > 4000) {
        e.target.dataset.announced = Date.now();
        sendPresence();
      }
    }
    if (!e.target.classList.contains("mentionable")) return;
    const list = e.target.parentElement.querySelector(".mention-list");
    const query = mentionQuery(e.target);
    if (query === null) { list.hidden = true; return; }
    fetch("/api/v1/users/?q=" + encodeURIComponent(query), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (users) {
        list.innerHTML = "";
        users.slice(0, 8).forEach(function (u) {
          const li = document.createElement("li");
          li.setAttribute("role", "option");
          li.tabIndex = 0;
          li.dataset.handle = u.handle;
          li.textContent = u.name + " @" + u.handle + (u.title ? " — " + u.title : "");
          list.appendChild(li);
        });
        list.hidden = users.length === 0;
      });
  });

  /* ---- Keyboard shortcuts ----------------------------------------------------------------- */
  let pendingG = false;
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

  document.addEventListener("keydown", function (e) {
    const typing = /INPUT|TEXTAREA|SELECT/.test(e.target.tagName) || e.target.isContentEditable;
    if (e.key === "Escape" && typing) { e.target.blur(); return; }
    if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
    const key = e.key;
    if (pendingG) {
      pendingG = false;
      if (key === "q") { location.href = "/tickets/"; e.preventDefault(); }
      return;
    }
    if (key === "g") { pendingG = true; return; }
    if (key === "?") { document.getElementById("shortcuts").showModal(); e.preventDefault(); }
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
      setMode("reply"); e.preventDefault();
    } else if (page === "ticket" && key === "c" && document.getElementById("mode-comment")) {
      setMode("comment"); e.preventDefault();
    } else if (page === "ticket" && key === "a" && document.getElementById("assign-me")) {
      document.getElementById("assign-me").requestSubmit();
    } else if (page === "ticket" && key === "s" && document.getElementById("solve-form")) {
      document.getElementById("solve-form").requestSubmit();
    } else if (page === "ticket" && key === "n") {
      location.href = "/tickets/?queue=mine";
    }
  });

  /* ---- Relative times ("5 minutes ago"), in the page's language -------------------------- */
  function relativeTimes(root) {
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
  }
  document.addEventListener("htmx:afterSwap", function (e) { relativeTimes(e.target); });
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
    relativeTimes();
    connect();
    refreshBell();
    setInterval(function () { sendPresence(); renderPresence(); }, 10000);
    if (document.querySelector(".composer .mode[aria-selected='true']")) {
      const composer = document.getElementById("composer");
      composer.dataset.mode = document.querySelector(".composer .mode[aria-selected='true']").dataset.mode;
    }
  });
})();
