// Filters, search and copy buttons. The page reads completely without this script.
(function () {
  "use strict";
  var bar = document.getElementById("filters");
  var search = document.getElementById("search");
  var level = document.getElementById("level");
  var shown = document.getElementById("shown");
  var boxes = Array.prototype.slice.call(document.querySelectorAll("[data-show]"));
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-filter]"));

  function apply() {
    var text = search.value.trim().toLowerCase();
    var wanted = {};
    boxes.forEach(function (box) { wanted[box.getAttribute("data-show")] = box.checked; });
    var count = 0;
    items.forEach(function (item) {
      var outcome = item.getAttribute("data-outcome");
      var itemLevel = item.getAttribute("data-level");
      var haystack = (item.getAttribute("data-search") || "") + " " + item.textContent;
      var visible = (!text || haystack.toLowerCase().indexOf(text) !== -1) &&
        (!outcome || wanted[outcome] !== false) &&
        (!level.value || !itemLevel || itemLevel === level.value);
      item.hidden = !visible;
      if (visible) { count += 1; }
    });
    shown.textContent = (text || level.value || boxes.some(function (b) { return !b.checked; }))
      ? count + " of " + items.length + " items shown" : "";
  }

  search.addEventListener("input", apply);
  level.addEventListener("change", apply);
  boxes.forEach(function (box) { box.addEventListener("change", apply); });

  function openAll(open) {
    document.querySelectorAll("main details").forEach(function (d) { d.open = open; });
  }
  document.getElementById("expand").addEventListener("click", function () { openAll(true); });
  document.getElementById("collapse").addEventListener("click", function () { openAll(false); });

  document.querySelectorAll(".curl").forEach(function (block) {
    var button = block.querySelector(".copy");
    var code = block.querySelector("code");
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () { button.textContent = "Copied"; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(code.textContent).then(done);
      } else {
        var range = document.createRange();
        range.selectNodeContents(code);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        button.textContent = "Selected: Ctrl+C";
      }
    });
  });

  // A link to a problem opens it (and its parents) so the target is visible.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href^='#']");
    if (!link) { return; }
    var target = document.getElementById(link.getAttribute("href").slice(1));
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") { node.open = true; }
    }
  });

  bar.hidden = false;  // last: the filters show only when everything above worked
})();
