// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // The center switcher submits as soon as a center is chosen (its button stays for no-JS).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]")) {
      target.form.requestSubmit();
    }
  });

  // After an action re-renders the lead page, bring its message into view.
  document.addEventListener("htmx:afterSwap", function (event) {
    var notice = event.detail.target && document.querySelector("#lead-page .notice-line, #lead-page .form-errors, #lead-page .has-error");
    if (notice && event.detail.target.id === "lead-page") {
      notice.scrollIntoView({ block: "nearest", behavior: "smooth" });
    }
  });
})();
