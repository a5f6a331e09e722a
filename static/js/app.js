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

// The leads list pushes its filters to the address bar: leave out the empty ones so the URL
// stays readable ("center" stays: empty there means "all centers", not "the switcher's").
document.addEventListener("htmx:configRequest", function (event) {
  var form = event.detail.elt.closest && event.detail.elt.closest("#lead-filters");
  if (!form || event.detail.verb !== "get") return;
  var params = event.detail.parameters;
  Object.keys(params).forEach(function (name) {
    if (name !== "center" && params[name] === "") delete params[name];
  });
});

// The enquiry form: a known phone brings its parent's name, written in only if the name field is
// still empty when it arrives (the user may have started typing), so nothing typed is lost.
document.addEventListener("knownParentName", function (event) {
  var field = document.getElementById("id_parent_name");
  if (field && !field.value.trim()) field.value = event.detail.name;
});
