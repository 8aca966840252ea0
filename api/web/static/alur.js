// Progressive conveniences; every page works without them.
(function () {
  "use strict";

  // Lists in forms: add and remove items (inputs are named field.N or field.N.sub).
  function nextIndex(list) {
    var max = -1;
    list.querySelectorAll("[name]").forEach(function (input) {
      var rest = input.name.slice(list.dataset.array.length + 1);
      var n = parseInt(rest.split(".")[0], 10);
      if (!isNaN(n) && n > max) { max = n; }
    });
    return max + 1;
  }

  function wireRemove(button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var item = button.closest(".butir");
      var items = item.parentNode;
      if (items.children.length > 1) {
        item.remove();
      } else {
        item.querySelectorAll("input, textarea, select").forEach(function (el) { el.value = ""; });
      }
    });
  }

  // A list whose rows are the cases waiting for a decision: a row can be taken out (it keeps waiting) while
  // another stays, since the decision needs at least one; nothing is cleared and nothing added.
  document.querySelectorAll("fieldset.daftar[data-fixed-rows]").forEach(function (list) {
    var items = list.querySelector(".butir-butir");
    function refresh() {
      list.querySelectorAll(".keluarkan-butir").forEach(function (button) {
        button.hidden = items.children.length < 2;
      });
    }
    list.querySelectorAll(".keluarkan-butir").forEach(function (button) {
      button.addEventListener("click", function () {
        if (items.children.length > 1) { button.closest(".butir").remove(); }
        refresh();
      });
    });
    refresh();
  });

  document.querySelectorAll("fieldset.daftar[data-array]").forEach(function (list) {
    var template = list.querySelector("template");
    var add = list.querySelector(".tambah-butir");
    var items = list.querySelector(".butir-butir");
    if (!template || !add || !items) { return; }
    list.querySelectorAll(".butir-butir .hapus-butir").forEach(wireRemove);
    add.hidden = false;
    add.addEventListener("click", function () {
      var index = String(nextIndex(list));
      var fresh = template.content.firstElementChild.cloneNode(true);
      fresh.querySelectorAll("[name], [id], label[for]").forEach(function (el) {
        ["name", "id", "for"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value) { el.setAttribute(attr, value.split("__i__").join(index)); }
        });
      });
      items.appendChild(fresh);
      fresh.querySelectorAll(".hapus-butir").forEach(wireRemove);
      var first = fresh.querySelector("input, textarea, select");
      if (first) { first.focus(); }
    });
  });

  // Irreversible actions ask first.
  document.querySelectorAll("form[data-konfirmasi]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.konfirmasi)) { event.preventDefault(); }
    });
  });

  // After a refused submit, bring the first error into view.
  var summary = document.getElementById("ringkasan-galat");
  if (summary) {
    var first = document.querySelector(".isian.salah input, .isian.salah textarea, .isian.salah select");
    if (first) { first.focus({ preventScroll: true }); }
    summary.scrollIntoView({ block: "start" });
  }
})();
