// Copy buttons: a button with data-copy-target="<input id>" copies that input's text to the clipboard and says so in
// the nearest .copy-status. Without this script the button stays hidden and the read-only input's text can be
// selected and copied by hand; focusing the input selects all of it either way.
(function () {
  "use strict";

  function say(button, text) {
    var field = button.closest(".copy-field");
    var status = field ? field.querySelector(".copy-status") : null;
    if (status) {
      status.textContent = text;
    }
  }

  function fallbackCopy(input) {
    input.focus();
    input.select();
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }

  document.querySelectorAll("[data-copy-source]").forEach(function (input) {
    input.addEventListener("focus", function () {
      input.select();
    });
  });

  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-copy-target"));
    if (!input) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () {
        say(button, button.getAttribute("data-copied") || "");
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () {
          if (fallbackCopy(input)) {
            done();
          }
        });
      } else if (fallbackCopy(input)) {
        done();
      }
    });
  });
})();
