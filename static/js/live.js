/* Live updates over the websocket and presence ("Anna is viewing / writing").

   An update of the open ticket is merged into the page: the timeline is replaced, but a
   side-panel field the agent is editing (changed and not saved, or focused) keeps the
   agent's value; when a colleague changed the same field meanwhile, a note beside it says
   who and to what. */
(function () {
  "use strict";
  const ws = window.Workspace;
  const body = ws.body;
  let socket = null;
  let retry = 500;
  const refreshTimers = {};

  function refresh(target, url, load) {
    // Coalesce bursts: at most one fetch per target every 300 ms.
    if (refreshTimers[target]) return;
    refreshTimers[target] = setTimeout(function () {
      delete refreshTimers[target];
      if (target === "#queue-live" && document.querySelector('#queue-live input[name="ticket"]:checked')) {
        return; // do not throw away the agent's selection
      }
      if (load) load(url);
      else htmx.ajax("GET", url, { target: target, swap: "innerHTML" });
    }, 300);
  }

  function onEvent(event) {
    if (event.type === "presence") return showPresence(event);
    if (event.type === "notification.created") return refreshBell();
    if (ws.page === "queue" && body.dataset.firstPage === "1") {
      refresh("#queue-live", body.dataset.liveUrl);
    }
    if (ws.page === "ticket" && event.ticket_id === ws.ticketId && event.type !== "ticket.created") {
      refresh("#ticket-live", body.dataset.liveUrl, loadTicket);
    }
  }

  /* ---- The open ticket: fetch its live fragment and merge it ---------------------------- */
  function loadTicket(url) {
    fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      // Redirected (merged into another ticket) or gone: leave the page as it is.
      .then(function (r) { return r.ok && !r.redirected ? r.text() : Promise.reject(r.status); })
      .then(mergeTicket)
      .catch(function () { /* the next event or a reload brings it */ });
  }

  function mergeTicket(html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    const freshSide = template.content.querySelector("#side-live");
    if (freshSide) freshSide.remove();
    const live = document.getElementById("ticket-live");
    live.replaceChildren(template.content);
    htmx.process(live);
    ws.relativeTimes(live);
    const side = document.getElementById("side-live");
    if (side && freshSide) mergeSide(side, freshSide);
  }

  /* What the server holds for a field: its latest server value, else the rendered one. */
  function serverValue(field) {
    if (field.dataset.base !== undefined) return field.dataset.base;
    if (field.tagName === "SELECT") {
      const option = Array.from(field.options).find(function (o) { return o.defaultSelected; })
        || field.options[0];
      return option ? option.value : "";
    }
    return field.defaultValue;
  }

  function shownValue(field) {
    if (field.tagName !== "SELECT") return field.defaultValue;
    const option = Array.from(field.options).find(function (o) { return o.defaultSelected; })
      || field.options[0];
    return option ? option.textContent.trim() : "";
  }

  function isEditing(field) {
    return document.activeElement === field || field.value !== serverValue(field);
  }

  function mergeSide(side, fresh) {
    const focused = document.activeElement;
    const caret = focused && "selectionStart" in focused && focused.tagName !== "SELECT"
      ? [focused.selectionStart, focused.selectionEnd] : null;
    const kept = [];
    side.querySelectorAll("input[id], select[id], textarea[id]").forEach(function (field) {
      if (field.type === "hidden" || !isEditing(field)) return;
      const twin = fresh.querySelector("#" + CSS.escape(field.id));
      if (!twin) return;
      kept.push({ field: field, twin: twin, before: serverValue(field), after: serverValue(twin),
                  dirty: field.value !== serverValue(field),
                  note: document.getElementById(field.id + "-changed") });
    });
    const open = Array.from(side.querySelectorAll("details[open]")).map(function (d) {
      return d.querySelector("summary") ? d.querySelector("summary").textContent : "";
    });
    // What the page marks hx-preserve (the merge dialog with its warning) stays as it is.
    const preserved = Array.from(side.querySelectorAll("[hx-preserve][id]"));
    side.replaceChildren.apply(side, Array.from(fresh.childNodes));
    preserved.forEach(function (node) {
      const twin = side.querySelector("#" + CSS.escape(node.id));
      if (twin) twin.replaceWith(node);
    });
    kept.forEach(function (k) {
      if (!k.dirty) return; // focused but untouched: the fresh field takes its place
      k.twin.replaceWith(k.field);
      k.field.dataset.base = k.after;
      const form = k.field.closest("form");
      if (k.before !== k.after && k.twin.dataset.changedBy && form) {
        showNote(form, k.field, k.twin);
      } else if (k.note) {
        k.field.insertAdjacentElement("afterend", k.note); // a note shown earlier stays
      }
    });
    side.querySelectorAll("details").forEach(function (d) {
      const summary = d.querySelector("summary");
      if (summary && open.indexOf(summary.textContent) >= 0) d.open = true;
    });
    htmx.process(side);
    const again = focused && focused.id ? document.getElementById(focused.id) : null;
    if (again && again !== document.activeElement && side.contains(again)) {
      again.focus();
      if (caret && again.setSelectionRange) again.setSelectionRange(caret[0], caret[1]);
    }
  }

  function showNote(form, field, twin) {
    const note = document.createElement("p");
    note.className = "changed-note";
    note.id = field.id + "-changed";
    note.setAttribute("role", "status");
    note.textContent = form.dataset.changedNote
      .replace("%(name)s", twin.dataset.changedBy)
      .replace("%(value)s", shownValue(twin));
    field.setAttribute("aria-describedby", note.id);
    field.insertAdjacentElement("afterend", note);
  }

  /* ---- The websocket -------------------------------------------------------------------- */
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    // Websockets may be served on a port of their own (`make run`); else on the page's.
    const port = body.dataset.realtimePort;
    const host = port ? location.hostname + ":" + port : location.host;
    socket = new WebSocket(scheme + "://" + host + "/ws/");
    socket.onopen = function () {
      retry = 500;
      if (ws.ticketNumber) {
        socket.send(JSON.stringify({ action: "watch", number: ws.ticketNumber }));
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
    if (!socket || socket.readyState !== WebSocket.OPEN || !ws.ticketNumber) return;
    const state = Date.now() < typingUntil ? "typing" : "viewing";
    socket.send(JSON.stringify({ action: "presence", number: ws.ticketNumber, state: state }));
  }

  function showPresence(event) {
    if (event.user_id === ws.me || event.ticket_id !== ws.ticketId) return;
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

  document.addEventListener("input", function (e) {
    if (!e.target.closest(".composer")) return;
    typingUntil = Date.now() + 5000;
    if (!e.target.dataset.announced || Date.now() - e.target.dataset.announced > 4000) {
      e.target.dataset.announced = Date.now();
      sendPresence();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    connect();
    refreshBell();
    setInterval(function () { sendPresence(); renderPresence(); }, 10000);
  });
})();
