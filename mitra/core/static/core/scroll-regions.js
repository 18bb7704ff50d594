// A table too wide for the screen scrolls sideways in its .table-wrap: such a box is made a
// named, focusable region, so it can be scrolled from the keyboard (arrow keys) and a screen
// reader names it. A table that fits gets neither (no extra tab stop). Checked again on resize.
(function () {
  "use strict";
  var boxes = Array.prototype.slice.call(document.querySelectorAll(".table-wrap"));
  if (!boxes.length) { return; }
  function nameOf(box) {
    var caption = box.querySelector("caption");
    if (caption && caption.textContent.trim()) { return caption.textContent.trim(); }
    var section = box.closest("section, article, details, main");
    var heading = section && section.querySelector("h1, h2, h3, summary");
    return heading ? heading.textContent.trim() : "Table";
  }
  function update() {
    boxes.forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", nameOf(box) + " (scrolls sideways)");
      } else if (box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }
  update();
  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) { window.clearTimeout(pending); }
    pending = window.setTimeout(update, 150);
  });
})();
