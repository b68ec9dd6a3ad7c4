// The org form shows only the fields the chosen auth mode uses. Without this script every field
// shows; the server ignores what the chosen mode does not use.
(function () {
  "use strict";
  var form = document.getElementById("org-form");
  if (!form) { return; }
  var radios = form.querySelectorAll("input[name=auth_mode]");

  function chosenMode() {
    for (var i = 0; i < radios.length; i++) {
      if (radios[i].checked) { return radios[i].value; }
    }
    return "";
  }

  function showFieldsForMode() {
    var mode = chosenMode();
    var fields = form.querySelectorAll("[data-modes]");
    for (var i = 0; i < fields.length; i++) {
      var modes = fields[i].getAttribute("data-modes").split(" ");
      fields[i].hidden = mode !== "" && modes.indexOf(mode) === -1;
    }
  }

  for (var i = 0; i < radios.length; i++) {
    radios[i].addEventListener("change", showFieldsForMode);
  }
  showFieldsForMode();
})();
