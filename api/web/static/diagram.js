// Draws a BPMN diagram with bpmn-js and marks the instance's progress:
// alur-aktif (tasks waiting for people), alur-selesai, alur-menunggu (timers, messages), alur-galat.
(function () {
  "use strict";
  var box = document.getElementById("diagram");
  if (!box) { return; }
  if (!window.BpmnJS) {
    box.textContent = "Penampil diagram tidak termuat.";
    box.dataset.rendered = "error";
    return;
  }
  var markers = {};
  try { markers = JSON.parse(box.dataset.markers || "{}"); } catch (e) { markers = {}; }
  var viewer = new window.BpmnJS({ container: box });
  fetch(box.dataset.url, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.text();
    })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      canvas.zoom("fit-viewport");
      Object.keys(markers).forEach(function (kind) {
        (markers[kind] || []).forEach(function (id) {
          if (registry.get(id)) { canvas.addMarker(id, "alur-" + kind); }
        });
      });
      box.dataset.rendered = "ok";
    })
    .catch(function (error) {
      box.textContent = "Diagram gagal ditampilkan: " + error.message;
      box.dataset.rendered = "error";
    });
})();
