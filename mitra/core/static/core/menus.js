// The header's fold-out menus (<details class="menu">): they open and close without this file;
// with it, one is open at a time, and Escape or a click elsewhere closes it (Escape gives the
// focus back to its button).
(function () {
  "use strict";
  var menus = Array.prototype.slice.call(document.querySelectorAll("details.menu"));
  if (!menus.length) { return; }
  menus.forEach(function (menu) {
    menu.addEventListener("toggle", function () {
      if (!menu.open) { return; }
      menus.forEach(function (other) { if (other !== menu) { other.open = false; } });
    });
  });
  document.addEventListener("click", function (event) {
    menus.forEach(function (menu) {
      if (menu.open && !menu.contains(event.target)) { menu.open = false; }
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    menus.forEach(function (menu) {
      if (!menu.open) { return; }
      var inside = menu.contains(document.activeElement);
      menu.open = false;
      if (inside) { menu.querySelector("summary").focus(); }
    });
  });
})();
