// What every page needs, public or not, without inline script (the Content-Security-Policy
// forbids it): the header's language switch, and telling the server the browser's time zone.
(function () {
  "use strict";

  // The browser's time zone, for the server to write times in (helpdesk/times.py). A page
  // drawn before the cookie existed named its zone next to each time.
  try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const current = document.cookie.split("; ").find((c) => c.indexOf("tz=") === 0);
    if (zone && /^[A-Za-z0-9_+\/-]+$/.test(zone) && current !== "tz=" + zone) {
      document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (err) { /* no Intl: the server's guess stays */ }

  // <select data-submit-on-change>: choosing is sending (the language switch).
  document.addEventListener("change", function (e) {
    const select = e.target.closest && e.target.closest("select[data-submit-on-change]");
    if (select && select.form) select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit();
  });
})();
