/* The @mention picker: type @ and a few letters in an internal comment. The server ranks
   the people (a name word or the handle starting with the letters first, then the rest);
   the list works by mouse and by keyboard: Up / Down move, Enter or Tab pick, Escape
   closes. The textarea points at the list (aria-controls) and at the highlighted person
   (aria-activedescendant); the list is a listbox of options. */
(function () {
  "use strict";
  let mentionStart = -1;
  let asked = 0;

  function areaOf(list) { return list.parentElement.querySelector("textarea.mentionable"); }
  function items(list) { return Array.from(list.querySelectorAll("li[role='option']")); }
  function isOpen(list) { return !!list && !list.hidden && items(list).length > 0; }

  function mentionQuery(area) {
    const upto = area.value.slice(0, area.selectionStart);
    // Letters of any script: "@ол" finds Ольга as "@ol" finds Olga.
    const match = /(^|\s)@([\p{L}\p{N}_.\-]*)$/u.exec(upto);
    if (!match) return null;
    mentionStart = upto.length - match[2].length - 1;
    return match[2];
  }

  function close(list) {
    list.hidden = true;
    list.replaceChildren();
    areaOf(list).removeAttribute("aria-activedescendant");
  }

  function activate(list, index) {
    const all = items(list);
    if (!all.length) return;
    index = (index + all.length) % all.length;
    all.forEach(function (li, i) { li.setAttribute("aria-selected", String(i === index)); });
    areaOf(list).setAttribute("aria-activedescendant", all[index].id);
    all[index].scrollIntoView({ block: "nearest" });
  }

  function activeIndex(list) {
    return items(list).findIndex(function (li) { return li.getAttribute("aria-selected") === "true"; });
  }

  function choose(item) {
    const list = item.parentElement;
    const area = areaOf(list);
    const before = area.value.slice(0, mentionStart);
    const after = area.value.slice(area.selectionStart);
    area.value = before + "@" + item.dataset.handle + " " + after;
    area.selectionStart = area.selectionEnd = before.length + item.dataset.handle.length + 2;
    close(list);
    area.focus();
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function show(list, users) {
    list.innerHTML = "";
    users.slice(0, 8).forEach(function (u, i) {
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      li.id = list.id + "-" + i;
      li.dataset.handle = u.handle;
      li.setAttribute("aria-selected", "false");
      li.textContent = u.name + " @" + u.handle + (u.title ? " — " + u.title : "");
      list.appendChild(li);
    });
    list.hidden = users.length === 0;
    if (users.length) activate(list, 0);
    else close(list);
  }

  document.addEventListener("input", function (e) {
    if (!e.target.classList.contains("mentionable")) return;
    const list = e.target.parentElement.querySelector(".mention-list");
    const query = mentionQuery(e.target);
    if (query === null) { close(list); return; }
    const ask = ++asked;
    fetch("/api/v1/users/?q=" + encodeURIComponent(query), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (users) { if (ask === asked) show(list, users); });
  });

  // In the capture phase, so the shortcuts (and Escape's blur) never see a picker key.
  document.addEventListener("keydown", function (e) {
    if (!e.target.classList || !e.target.classList.contains("mentionable")) return;
    const list = e.target.parentElement.querySelector(".mention-list");
    if (!isOpen(list) || e.isComposing) return;
    let handled = true;
    if (e.key === "ArrowDown") activate(list, activeIndex(list) + 1);
    else if (e.key === "ArrowUp") activate(list, activeIndex(list) - 1);
    else if ((e.key === "Enter" || e.key === "Tab") && !e.shiftKey && !e.ctrlKey && !e.metaKey) {
      choose(items(list)[Math.max(activeIndex(list), 0)]);
    } else if (e.key === "Escape") close(list);
    else handled = false;
    if (handled) { e.preventDefault(); e.stopPropagation(); }
  }, true);

  document.addEventListener("mousedown", function (e) {
    // Keep the focus (and the caret) in the textarea while picking with the mouse.
    if (e.target.closest(".mention-list li")) e.preventDefault();
  });

  document.addEventListener("click", function (e) {
    const item = e.target.closest(".mention-list li");
    if (item) { choose(item); return; }
    document.querySelectorAll(".mention-list").forEach(function (list) {
      if (!list.hidden && !list.parentElement.contains(e.target)) close(list);
    });
  });

  document.addEventListener("focusout", function (e) {
    if (!e.target.classList || !e.target.classList.contains("mentionable")) return;
    const list = e.target.parentElement.querySelector(".mention-list");
    setTimeout(function () { if (document.activeElement !== e.target) close(list); }, 150);
  });
})();
