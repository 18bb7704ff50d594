// Thought record: label each re-rating with the emotion the patient named above it.
(function () {
  "use strict";
  for (let i = 1; i <= 3; i++) {
    const name = document.getElementById("id_emotion_" + i);
    const label = document.querySelector('label[for="id_after_' + i + '"]');
    if (!name || !label) { continue; }
    const fallback = label.textContent;
    const update = function () {
      const text = name.value.trim();
      label.textContent = text ? "Re-rate \u201c" + text + "\u201d now (0-100):" : fallback;
    };
    name.addEventListener("input", update);
    update();
  }
})();
