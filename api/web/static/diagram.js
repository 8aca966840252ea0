// Draws each BPMN diagram box (.diagram[data-url]) with bpmn-js and puts its markers on the elements:
// an instance's progress (alur-aktif: tasks waiting for people, alur-selesai, alur-menunggu: timers and
// messages, alur-galat) or a version diff (alur-tambah, alur-hapus, alur-ubah).
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll(".diagram[data-url]"), draw);

  function draw(box) {
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
  }
})();
