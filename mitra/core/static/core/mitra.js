// Sends the CSRF token (set once on <body>) with every fetch made by Mitra's own scripts.
(function () {
  "use strict";
  const token = document.body.dataset.csrfToken;
  window.mitraFetch = function (url, options) {
    const opts = Object.assign({ credentials: "same-origin" }, options || {});
    opts.headers = Object.assign({ "X-CSRFToken": token }, opts.headers || {});
    return fetch(url, opts);
  };
  // Signing out clears drafts kept in this browser: the menu's form (data-clears-drafts) and
  // any other form that posts to the sign-out address (the sign-out confirmation page).
  document.querySelectorAll("form[data-clears-drafts], form[action$='/accounts/logout/']")
    .forEach(function (form) {
    form.addEventListener("submit", function () {
      try {
        Object.keys(localStorage).filter(function (k) { return k.indexOf("mitra:") === 0; })
          .forEach(function (k) { localStorage.removeItem(k); });
      } catch (e) { /* storage unavailable: nothing kept */ }
    });
  });
})();
