// The language switcher sends its form as soon as a language is chosen (no inline handler:
// the Content-Security-Policy allows scripts from our static files only).
document.addEventListener("change", function (event) {
  if (event.target.matches && event.target.matches("select[data-submit-on-change]")) {
    event.target.form.submit();
  }
});
