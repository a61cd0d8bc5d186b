// Rule fields: show only those the chosen kind (återkommande / antal gånger) and pattern use.
// Hidden fields are disabled too, so a leftover value in them is not sent. Without this script every field shows
// and the server says which values do not belong to the chosen pattern.
(function () {
  "use strict";

  function toggle(element, show) {
    element.hidden = !show;
    element.querySelectorAll("input, select, textarea").forEach(function (input) {
      input.disabled = !show;
    });
  }

  function update(ruleForm) {
    var kind = ruleForm.querySelector('input[name="kind"]:checked');
    var pattern = ruleForm.querySelector('select[name="pattern"]');
    var kindValue = kind ? kind.value : "recurrence";
    ruleForm.querySelectorAll("[data-rule-kind]").forEach(function (element) {
      toggle(element, element.getAttribute("data-rule-kind") === kindValue);
    });
    ruleForm.querySelectorAll("[data-rule-patterns]").forEach(function (element) {
      var patterns = element.getAttribute("data-rule-patterns").split(" ");
      toggle(element, kindValue === "recurrence" && pattern !== null && patterns.indexOf(pattern.value) !== -1);
    });
  }

  document.querySelectorAll("[data-rule-form]").forEach(function (ruleForm) {
    update(ruleForm);
    ruleForm.addEventListener("change", function (event) {
      if (event.target.name === "kind" || event.target.name === "pattern") {
        update(ruleForm);
      }
    });
  });

  // On a new agreed task, choosing a task type fills in its defaults (the same as the "Fyll i" button).
  document.querySelectorAll("form[data-prefill-on-change]").forEach(function (form) {
    var select = form.querySelector('select[name="task_type_id"]');
    var button = form.querySelector('button[name="prefill"]');
    if (select && button) {
      select.addEventListener("change", function () {
        if (select.value) {
          button.click();
        }
      });
    }
  });
})();
