// Diary form: keeps the unsent entry (with its UUID) in this browser until the server has it,
// sends it as JSON with mitraFetch, and retries when the connection comes back. Once saved,
// the list of last entries and the panels under the form (the relapse-plan prompt after a
// strong craving) are fetched again and put in place. Without JavaScript the form posts
// normally and the page that follows shows both.
(function () {
  "use strict";
  const form = document.getElementById("diary-form");
  if (!form || !window.mitraFetch) { return; }
  // One draft per signed-in patient: a draft is never sent into another person's record, and
  // a draft left by someone else on this browser (their session ended without signing out) is
  // dropped unread when this person opens the diary.
  const PREFIX = "mitra:diary:pending";
  const KEY = PREFIX + ":" + form.dataset.owner;
  try {
    Object.keys(localStorage).filter(function (k) { return k.indexOf(PREFIX) === 0 && k !== KEY; })
      .forEach(function (k) { localStorage.removeItem(k); });
  } catch (e) { /* no storage */ }
  const status = document.getElementById("diary-status");
  let sending = false;

  function say(text, kind) { status.textContent = text; status.className = "status " + (kind || ""); }

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "null"); } catch (e) { return null; }
  }
  function keep(payload) {
    try { localStorage.setItem(KEY, JSON.stringify(payload)); } catch (e) { /* no storage */ }
  }
  function clear() { try { localStorage.removeItem(KEY); } catch (e) { /* no storage */ } }

  function collect() {
    const data = new FormData(form);
    const payload = { uuid: data.get("uuid"), date: data.get("date"), note: data.get("note") || "",
      motives: data.getAll("motives"), uses: [] };
    ["mood", "anxiety", "craving", "sleep_quality", "withdrawal"].forEach(function (name) {
      const value = data.get(name);
      payload[name] = value === null || value === "" ? null : Number(value);
    });
    const total = Number(data.get("uses-TOTAL_FORMS") || 0);
    for (let i = 0; i < total; i++) {
      const use = {};
      ["substance", "amount", "unit", "grams_per_unit", "time", "product_label"].forEach(function (k) {
        const v = data.get("uses-" + i + "-" + k);
        if (v !== null && v !== "") { use[k] = v; }
      });
      if (Object.keys(use).length) { payload.uses.push(use); }
    }
    return payload;
  }

  // The server renders both (escaping what they print); a failed fetch leaves the old ones.
  function refresh() {
    if (!form.dataset.recent) { return; }
    window.mitraFetch(form.dataset.recent, { headers: { "Accept": "application/json" } })
      .then(function (response) {
        const type = response.headers.get("Content-Type") || "";
        return response.ok && type.indexOf("json") !== -1 ? response.json() : null;
      }).then(function (body) {
        if (!body) { return; }
        const recent = document.getElementById("diary-recent");
        const panels = document.getElementById("diary-panels");
        if (recent) { recent.innerHTML = body.recent; }
        if (panels) { panels.innerHTML = body.panels; }
        form.dataset.refreshed = String(Number(form.dataset.refreshed || 0) + 1);
      }).catch(function () { /* offline again: the list catches up on the next load */ });
  }

  function clearErrors() {
    form.querySelectorAll(".js-error").forEach(function (el) { el.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
  }

  function showErrors(errors) {
    clearErrors();
    const lines = [];
    Object.keys(errors).forEach(function (key) {
      const m = key.match(/^uses\[(\d+)\]\.(\w+)$/);
      const name = m ? "uses-" + m[1] + "-" + m[2] : key;
      const input = form.querySelector("[name='" + name + "']");
      errors[key].forEach(function (msg) { lines.push(msg); });
      if (input) {
        input.setAttribute("aria-invalid", "true");
        const p = document.createElement("p");
        p.className = "errorlist js-error";
        p.textContent = errors[key].join(" ");
        const holder = input.closest(".scale") || input;
        holder.parentNode.insertBefore(p, holder);
        const details = input.closest("details");
        if (details) { details.open = true; }
      }
    });
    say("Not saved yet: " + lines.join(" "), "error");
  }

  function send() {
    const payload = load();
    if (!payload || sending) { return; }
    if (!navigator.onLine) {
      say("You are offline. Your entry is kept on this device and will be sent when you are back online.", "warn");
      return;
    }
    sending = true;
    say("Sending…");
    window.mitraFetch(form.dataset.api, {
      method: "POST", headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(payload),
    }).then(function (response) {
      const type = response.headers.get("Content-Type") || "";
      if (response.redirected || type.indexOf("json") === -1) {
        // Sent to the sign-in page: the session has ended, the network is fine.
        return { code: "signed-out", body: {} };
      }
      return response.json().then(function (body) { return { code: response.status, body: body }; });
    }).then(function (r) {
      sending = false;
      if (r.code === "signed-out") {
        say("Your session has ended. Sign in again to send the entry kept on this device.", "warn");
      } else if (r.code === 201 || r.code === 200) {
        clear();
        clearErrors();
        say("Saved. Your diary for " + r.body.date + " is stored" + (r.body.version > 1 ? " (edited, earlier answers kept)." : "."), "ok");
        // A new submission for this form needs a new ID; the server hands one out on reload.
        form.querySelector("[name=uuid]").value = "";
        form.dataset.saved = r.body.uuid;
        form.querySelector("button[type=submit]").disabled = true;
        refresh();
      } else if (r.code === 400) {
        clear(); // answers stay on the form for the fix; the bad payload is not retried
        showErrors(r.body.errors || {});
      } else if (r.code === 409) {
        clear();
        say((r.body.errors && r.body.errors.uuid || ["This entry was already sent with other answers."]).join(" "), "error");
      } else {
        say("The server could not save it just now (" + r.code + "). Kept on this device; trying again shortly.", "warn");
        setTimeout(send, 15000);
      }
    }).catch(function () {
      sending = false;
      say("No connection. Your entry is kept on this device and will be sent when you are back online.", "warn");
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!form.querySelector("[name=uuid]").value) { window.location.reload(); return; }
    keep(collect());
    send();
  });

  // An entry left unsent earlier (closed tab, lost connection): show it and send it.
  const pending = load();
  if (pending) {
    say("An entry from " + pending.date + " is waiting on this device to be sent.", "warn");
    send();
  }
  window.addEventListener("online", send);
  setInterval(function () { if (load()) { send(); } }, 30000);
})();
