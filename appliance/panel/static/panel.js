// The VIG recorder panel: plain JS, no framework. Every command goes to /api/* with the
// CSRF token; live status arrives as Server-Sent Events from the controller's events.
"use strict";

(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (id) => document.getElementById(id);
  const view = { state: "idle", marks: 0, session: null, sessions: [] };

  // Every event from the device's status stream is passed on here, so that each part of the
  // panel (marks.js, consent.js, sound.js) can live in its own file and listen for what it
  // needs: window.vigPanel.on("mark", fn) gets each mark event's data. "marked" is the
  // page's own: the device's answer to this phone's Mark, before its event arrives.
  const bus = new EventTarget();
  function relay(type, data) { bus.dispatchEvent(new CustomEvent(type, { detail: data })); }

  // The device's monotonic clock, seen from this page. Each heartbeat gives one sample of
  // (page time - device time): the device's time plus the trip's delay, so the smallest
  // recent sample is the closest to the true offset. A tap is stamped with
  // performance.now() less that offset, so a Mark held up on the way still lands on the
  // moment of the tap (the device believes a stamp from up to 3 s before it arrived).
  const deviceClock = {
    samples: [],
    keep: 30,
    heard(deviceSeconds) {
      this.samples.push(performance.now() / 1000 - deviceSeconds);
      if (this.samples.length > this.keep) { this.samples.shift(); }
    },
    at(pageMs) {
      if (!this.samples.length) { return null; }
      return pageMs / 1000 - Math.min.apply(null, this.samples);
    },
  };

  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {}),
      credentials: "same-origin",
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    if (response.status === 401) { window.location.href = "/login"; }
    if (!response.ok) {
      const message = (data.error && data.error.message) || ("The device said no (" + response.status + ").");
      const refusal = new Error(message);
      refusal.code = data.error && data.error.code;
      throw refusal;
    }
    return data;
  }

  function say(text, isError) {
    const el = $("command-message");
    el.textContent = text;
    el.classList.toggle("error", !!isError);
  }

  async function command(path, body, doneText) {
    try {
      const data = await post(path, body);
      if (doneText) { say(doneText, false); }
      return data;
    } catch (e) {
      say(e.message, true);
      return null;
    }
  }

  function formatElapsed(seconds) {
    const s = Math.max(0, Math.floor(seconds || 0));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(r).padStart(2, "0");
  }

  function showState(state) {
    view.state = state;
    const el = $("state");
    el.textContent = state;
    el.dataset.state = state;
    const recording = state === "recording";
    $("start").disabled = state !== "idle" && state !== "error";
    $("stop").disabled = !recording;
    $("mark").disabled = !recording;
    $("case-code").disabled = recording;
    if (!recording && state !== "stopping") { $("elapsed").textContent = formatElapsed(0); }
  }

  function showMarks(count) {
    view.marks = count;
    $("mark-count").textContent = String(count);
  }

  function showStorage(minutes) {
    if (minutes === null || minutes === undefined) { return; }
    $("storage").textContent = Math.floor(minutes) + " min";
  }

  function showError(error) {
    const box = $("error");
    if (!error) { box.hidden = true; return; }
    $("error-text").textContent = error.message || error.words || error.code || "Something went wrong.";
    $("error-hint").textContent = error.hint || error.what_to_do || "";
    box.hidden = false;
  }

  function showHealth(health) {
    const parts = [];
    if (health.temperature_c !== null && health.temperature_c !== undefined) {
      parts.push("Temperature " + Math.round(health.temperature_c) + " °C.");
    }
    (health.warnings || []).forEach((w) => parts.push(w));
    $("health").textContent = parts.join(" ");
  }

  function showExport(fields) {
    const box = $("export");
    box.hidden = false;
    const done = fields.bytes_done || 0, total = fields.bytes_total || 0;
    $("export-progress").value = total ? done / total : 0;
    let text = (fields.phase || "").replace(/-/g, " ");
    if (fields.files_total) { text += " — file " + (fields.files_done || 0) + " of " + fields.files_total; }
    $("export-text").textContent = text;
  }

  function formatStart(value) {
    if (value === null || value === undefined) { return "unknown time"; }
    const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
    return isNaN(date.getTime()) ? String(value) : date.toLocaleString();
  }

  function renderSessions(sessions) {
    view.sessions = sessions;
    const list = $("sessions");
    list.replaceChildren();
    if (!sessions.length) {
      const li = document.createElement("li");
      li.textContent = "No sessions on this device.";
      list.appendChild(li);
      return;
    }
    sessions.forEach((s) => list.appendChild(sessionItem(s)));
  }

  function sessionItem(s) {
    const li = document.createElement("li");
    li.dataset.session = s.id;
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = formatStart(s.started_at) + " · " + formatElapsed(s.duration_s) + " · " +
      s.state + " · " + (s.mark_count || 0) + " marks";
    const id = document.createElement("span");
    id.className = "hint";
    id.textContent = s.id;
    li.append(meta, id);
    const recordingThis = view.state === "recording" && s.id === view.session;
    if (!recordingThis) {
      const del = document.createElement("button");
      del.type = "button";
      del.className = "delete";
      del.textContent = "Delete this session";
      del.addEventListener("click", () => askToDelete(li, s.id, del));
      li.appendChild(del);
    }
    relay("session-item", { item: li, session: s });
    return li;
  }

  function askToDelete(li, id, del) {
    del.hidden = true;
    const confirm = document.createElement("button");
    confirm.type = "button";
    confirm.className = "confirm";
    confirm.textContent = "Yes, delete it for good";
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.textContent = "Keep it";
    cancel.addEventListener("click", () => { confirm.remove(); cancel.remove(); del.hidden = false; });
    confirm.addEventListener("click", async () => {
      confirm.disabled = true;
      const done = await command("/api/sessions/" + encodeURIComponent(id) + "/delete",
        { confirm: true }, "Session deleted.");
      if (done) { li.remove(); refreshSessions(); } else { confirm.disabled = false; }
    });
    li.append(confirm, cancel);
  }

  async function refreshSessions() {
    const response = await fetch("/api/sessions", { credentials: "same-origin" });
    if (response.ok) { renderSessions((await response.json()).sessions); }
  }

  function applyStatus(status) {
    view.session = status.session;
    showState(status.state);
    $("elapsed").textContent = formatElapsed(status.elapsed);
    showMarks((status.marks || []).length);
    showStorage(status.storage_minutes);
    showError(status.error);
    renderSessions(status.sessions || []);
    $("time-offer").hidden = !(status.clock && status.clock.offer_phone_time);
  }

  function listen() {
    const source = new EventSource("/api/events");
    const on = (type, fn) => source.addEventListener(type, (e) => {
      const data = JSON.parse(e.data);
      fn(data);
      relay(type, data);
    });
    on("status", applyStatus);
    on("state", (e) => {
      // error -> idle is a clear (the Dismiss on any phone): the banner goes everywhere.
      if (e.state === "recording" || (view.state === "error" && e.state === "idle")) { showError(null); }
      showState(e.state);
      if (e.state === "recording") { showMarks(0); }
      refreshSessions();
    });
    on("tick", (e) => {
      $("elapsed").textContent = formatElapsed(e.elapsed);
      showStorage(e.storage_minutes);
    });
    // Numbers are never reused, so after a removal the count is not the last number.
    on("mark", () => showMarks(view.marks + 1));
    on("session", (e) => {
      if (e.state === "recording") { view.session = e.id; } else if (view.session === e.id) { view.session = null; }
      refreshSessions();
    });
    // The list of marks itself is marks.js's.
    on("mark_edited", () => {});
    on("mark_removed", () => showMarks(Math.max(0, view.marks - 1)));
    on("export", showExport);
    on("sound", () => {}); // the meter and its warning: sound.js
    on("error", showError);
    on("health", showHealth);
    on("heartbeat", (e) => deviceClock.heard(e.monotonic));
    source.onerror = () => say("Lost contact with the device; reconnecting…", true);
    source.onopen = () => say("", false);
  }

  function preview() {
    const img = $("preview");
    const message = $("preview-message");
    const show = () => {
      message.textContent = "";
      img.src = "/api/preview.mjpeg?t=" + Date.now();
    };
    const hide = () => { img.removeAttribute("src"); };
    img.addEventListener("error", () => {
      if (!img.getAttribute("src")) { return; }
      hide();
      message.textContent = "The preview is not available: it may be open on two other phones. Tap the picture to try again.";
    });
    img.addEventListener("click", show);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") { show(); } else { hide(); }
    });
    window.addEventListener("pagehide", hide);
    if (document.visibilityState === "visible") { show(); }
  }

  // A Mark carries no tag or note: those are given after it, to that mark (marks.js), so a
  // note typed after mark 1 can never ride on mark 2 or on the next family's session.
  function mark(tappedMs) {
    const body = {};
    const tappedAt = deviceClock.at(tappedMs);
    if (tappedAt !== null) { body.tapped_at = tappedAt; }
    command("/api/mark", body, "").then((done) => { if (done) { relay("marked", done.result); } });
  }

  function virtualButton() {
    const button = $("virtual-button");
    if (!button) { return; }
    let down = false;
    // Press and release must reach the device in order, so each waits for the one before.
    let sent = Promise.resolve();
    const send = (pressed) => { sent = sent.then(() => command("/api/sim/button", { pressed: pressed })); };
    const press = (e) => {
      e.preventDefault();
      if (down) { return; }
      down = true;
      button.classList.add("down");
      send(true);
    };
    const release = () => {
      if (!down) { return; }
      down = false;
      button.classList.remove("down");
      send(false);
    };
    button.addEventListener("pointerdown", press);
    ["pointerup", "pointercancel", "pointerleave"].forEach((t) => button.addEventListener(t, release));
  }

  function wire() {
    $("start").addEventListener("click", async () => {
      const code = $("case-code").value.trim();
      // The code belongs to this session only: clear it so the next one is not labelled alike.
      const done = await command("/api/start", { case_code: code || null }, "Recording started.");
      if (done) { $("case-code").value = ""; }
    });
    $("stop").addEventListener("click", () => command("/api/stop", {}, "Recording stopped."));
    $("clear-error").addEventListener("click", async () => {
      if (await command("/api/clear-error", {}, "")) { showError(null); }
    });
    $("mark").addEventListener("click", () => mark(performance.now()));
    $("use-phone-time").addEventListener("click", async () => {
      // A device whose clock is already set takes a distant time only when confirmed.
      let body = { epoch_ms: Date.now() };
      try {
        await post("/api/time", body).catch((refusal) => {
          if (refusal.code !== "time_needs_confirmation" || !window.confirm(refusal.message)) { throw refusal; }
          body = { epoch_ms: Date.now(), confirm: true };
          return post("/api/time", body);
        });
        say("The device now uses this phone's time.", false);
        $("time-offer").hidden = true;
      } catch (e) {
        say(e.message, true);
      }
    });
    virtualButton();
    listen();
    if (document.readyState === "complete") { preview(); } else { window.addEventListener("load", preview); }
  }

  window.vigPanel = {
    post: post,
    command: command,
    say: say,
    view: view,
    formatElapsed: formatElapsed,
    on(type, fn) { bus.addEventListener(type, (e) => fn(e.detail)); },
  };

  // Deferred scripts all run before DOMContentLoaded, so the other parts have subscribed
  // before the first status arrives.
  document.addEventListener("DOMContentLoaded", wire);
})();
