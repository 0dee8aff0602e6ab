/* Timezone fields (practice/timezones.py), as progressive enhancement: the device's own zone,
   when the browser tells it, becomes the first suggestion, marked as this device's. Nothing is
   chosen for the person: the saved value stays selected. Safe to load more than once. */
(function () {
  "use strict";
  var script = document.currentScript;
  var mark = (script && script.getAttribute("data-text-device")) || "this device";
  var zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    return;
  }
  if (!zone) return;
  function enhance() {
    var selects = document.querySelectorAll("select[data-timezone]:not([data-timezone-ready])");
    Array.prototype.forEach.call(selects, function (select) {
      select.setAttribute("data-timezone-ready", "");
      var group = select.querySelector("optgroup");
      if (!group) return;
      var known = null;
      Array.prototype.forEach.call(select.options, function (option) {
        if (option.value === zone && !known) known = option;
      });
      if (!known) return;  // not a zone of the list: nothing to suggest
      var suggestion = known.parentNode === group ? known : known.cloneNode(true);
      if (suggestion !== known) {
        suggestion.removeAttribute("selected");
        suggestion.selected = false;
      }
      suggestion.textContent = known.textContent.replace(/\)$/, ", " + mark + ")");
      group.insertBefore(suggestion, group.firstChild);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", enhance);
  } else {
    enhance();
  }
})();
