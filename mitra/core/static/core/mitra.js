// Sends the CSRF token (set once on <body>) with every fetch made by Mitra's own scripts.
(function () {
  "use strict";
  const token = document.body.dataset.csrfToken;
  window.mitraFetch = function (url, options) {
    const opts = Object.assign({ credentials: "same-origin" }, options || {});
    opts.headers = Object.assign({ "X-CSRFToken": token }, opts.headers || {});
    return fetch(url, opts);
  };
  // Forms marked data-clears-drafts (sign out) clear drafts kept in this browser.
  document.querySelectorAll("form[data-clears-drafts]").forEach(function (form) {
    form.addEventListener("submit", function () {
      try {
        Object.keys(localStorage).filter(function (k) { return k.indexOf("mitra:") === 0; })
          .forEach(function (k) { localStorage.removeItem(k); });
      } catch (e) { /* storage unavailable: nothing kept */ }
    });
  });
})();
