/* A drawing pad for the signing page, added only when scripts run (the page works without it:
   the typed name and the consent are the signature). Strokes are drawn on a canvas; when the
   form is submitted, the drawing goes into the hidden "drawn" field as a PNG data URL. */
(function () {
  "use strict";
  var form = document.getElementById("sign-form");
  if (!form) { return; }
  var pad = form.querySelector("[data-signature-pad]");
  var canvas = pad && pad.querySelector("canvas");
  var field = document.getElementById("id_drawn");
  if (!canvas || !field || !canvas.getContext) { return; }
  var context = canvas.getContext("2d");
  var drawing = false;
  var hasInk = false;
  pad.hidden = false;
  context.lineWidth = 3;
  context.lineCap = "round";
  context.lineJoin = "round";
  context.strokeStyle = "#111";

  function point(event) {
    var box = canvas.getBoundingClientRect();
    return {x: (event.clientX - box.left) * canvas.width / box.width,
            y: (event.clientY - box.top) * canvas.height / box.height};
  }
  canvas.addEventListener("pointerdown", function (event) {
    drawing = true;
    canvas.setPointerCapture(event.pointerId);
    var at = point(event);
    context.beginPath();
    context.moveTo(at.x, at.y);
    event.preventDefault();
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!drawing) { return; }
    var at = point(event);
    context.lineTo(at.x, at.y);
    context.stroke();
    hasInk = true;
    event.preventDefault();
  });
  function stop() { drawing = false; }
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);
  pad.querySelector("[data-signature-clear]").addEventListener("click", function () {
    context.clearRect(0, 0, canvas.width, canvas.height);
    hasInk = false;
    field.value = "";
  });
  form.addEventListener("submit", function () {
    field.value = hasInk ? canvas.toDataURL("image/png") : "";
  });
}());
