// Diary form: choosing another day opens that day's entry (or an empty form) before anything
// can be saved. Without this the form kept the day it opened with (today's uses, ratings,
// motives and note) and saved them under the new date, under a heading still saying today.
(function () {
  "use strict";
  const form = document.getElementById("diary-form");
  const field = form && form.querySelector("[name=date]");
  if (!field) { return; }
  field.addEventListener("change", function () {
    const day = field.value;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || day === form.dataset.day) { return; }
    // Nothing of the other day's form may be sent meanwhile.
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    window.location.assign(form.dataset.page + "?date=" + encodeURIComponent(day));
  });
})();
