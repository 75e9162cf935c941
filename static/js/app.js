/* Small behaviours every staff page may use, declared in the markup (no inline handlers:
   the Content-Security-Policy allows scripts from static files only).
   - <select data-autosubmit>: choosing an option submits its form.
   - <select data-navigate>: choosing an option opens the URL in its value.
   - <form data-confirm-submit="question">: asks before submitting.
   - <button data-print>: prints the page (the print stylesheet keeps only the content). */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLSelectElement)) { return; }
    if (target.hasAttribute("data-autosubmit") && target.form) {
      target.form.submit();
    } else if (target.hasAttribute("data-navigate") && target.value) {
      window.location.assign(target.value);
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) { return; }
    var question = form.getAttribute("data-confirm-submit");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  }, true);
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target instanceof Element && target.closest("[data-print]")) {
      window.print();
    }
  });
}());
