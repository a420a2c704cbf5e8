// The family's consent (DESIGN.md "Consent and retention"): given before Start and recorded
// with the session the Start begins, or recorded later for a session that has none (one the
// button started), from the sessions list, until the session is exported. No names: three
// yes/no answers and two dates. The device stores the record encrypted and cannot read it
// back, so what a phone shows after saving is only what the device answered.
"use strict";

(function () {
  const panel = window.vigPanel;
  const $ = (id) => document.getElementById(id);
  const ANSWERS = ["filming", "training", "family_copy"];
  // How long after a Start tap the new session's event may take to arrive.
  const START_WAIT_MS = 15000;
  const RETENTION_MONTHS = 2;  // controller/consent.py RETENTION_MONTHS

  const known = {
    defaults: null,        // {involvement_ends, delete_by} while the device's date is believed
    sessions: new Map(),   // id -> the session as the list shows it
    recording: null,       // the id of the session being recorded
    deviceState: "idle",
    // The session the form is for: null = the next one, recorded at Start. `chosen` when the
    // practitioner picked it in the list (else it follows the session being recorded).
    target: null,
    pending: null,         // a Start tapped with this form: {record, until}
  };

  // The same rule as controller/consent.py plus_months: the month's last day where shorter.
  function plusMonths(iso, months) {
    const [y, m, d] = iso.split("-").map(Number);
    const index = y * 12 + (m - 1) + months;
    const year = Math.floor(index / 12), month = index % 12;
    const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
    return year + "-" + String(month + 1).padStart(2, "0") + "-" + String(Math.min(d, last)).padStart(2, "0");
  }

  function dateWords(iso) {
    const date = new Date(iso + "T00:00:00Z");
    if (isNaN(date.getTime())) { return iso; }
    return date.toLocaleDateString(undefined, { timeZone: "UTC", day: "numeric", month: "long", year: "numeric" });
  }

  function answer(name) {
    const checked = document.querySelector('input[name="consent-' + name + '"]:checked');
    return checked ? checked.value === "yes" : null;
  }

  function record() {
    return {
      filming: answer("filming"),
      training: answer("training"),
      family_copy: answer("family_copy"),
      involvement_ends: $("consent-involvement").value || null,
      delete_by: $("consent-delete-by").value || null,
    };
  }

  // What is still to be given, in words; null when the record is complete.
  function missing(r) {
    if (ANSWERS.some((k) => r[k] === null)) { return "Answer all three questions about what the family agreed."; }
    if (!r.delete_by && !r.involvement_ends) { return "Enter the date by which every copy must be deleted, from the family's consent form."; }
    return null;
  }

  function touched(r) { return ANSWERS.some((k) => r[k] !== null); }

  function show(text, isError) {
    const el = $("consent-message");
    el.textContent = text;
    el.classList.toggle("error", !!isError);
    if (text && isError) { panel.say(text, true); }  // refusals also where the panel shows them
  }

  function fillDates() {
    const d = known.defaults;
    $("consent-involvement").value = d ? d.involvement_ends : "";
    $("consent-delete-by").value = d ? d.delete_by : "";
    explainDates();
  }

  function explainDates() {
    $("consent-date-hint").textContent = known.defaults
      ? "Two months after the involvement ends, as consent forms say. Change either date to match the family's form."
      : "This device's clock was not set from a phone, so it cannot suggest a date. Enter the date by which every copy must be deleted, from the family's consent form.";
  }

  function reset() {
    document.querySelectorAll('#consent input[type="radio"]').forEach((input) => { input.checked = false; });
    fillDates();
  }

  function describeSession(id) {
    const s = known.sessions.get(id);
    if (id === known.recording) { return "the session being recorded"; }
    if (!s || s.started_at === null || s.started_at === undefined) { return "session " + id; }
    return "the session of " + new Date(s.started_at * 1000).toLocaleString();
  }

  function render() {
    const box = $("consent");
    const target = known.target;
    const r = record();
    const forWhom = target ? describeSession(target.id) : "the next session";
    let summary;
    const recorded = target && known.sessions.get(target.id) && known.sessions.get(target.id).consent_recorded;
    if (recorded && !touched(r)) {
      summary = "Consent recorded for " + forWhom;
      box.dataset.recorded = "yes";
    } else if (recorded) {
      summary = "Replacing the consent record of " + forWhom;
      box.dataset.recorded = "yes";
    } else if (target) {
      summary = "No consent record for " + forWhom + " yet: tap to record it";
      box.dataset.recorded = "no";
    } else {
      summary = missing(r) ? "The family's consent for the next session" : "Consent ready: recorded when you tap Start";
      box.dataset.recorded = "";
    }
    $("consent-summary").textContent = summary;
    $("consent-for").textContent = target
      ? "For " + forWhom + ". Recording it again replaces the earlier record, until the session is exported."
      : "Recorded with the session when you tap Start. If there is no time now, record it later from the list below, before the export.";
    $("consent-save").hidden = !target;
    $("consent-cancel").hidden = !(target && target.chosen);
    const lacking = [...known.sessions.values()].filter((s) => !s.consent_recorded).length;
    const note = $("consent-missing");
    note.hidden = lacking === 0;
    note.textContent = lacking === 1
      ? "1 session on this device has no consent record: record it before the export."
      : lacking + " sessions on this device have no consent record: record them before the export.";
  }

  function aim(id, chosen) {
    if (!known.target || known.target.id !== id) { reset(); }
    known.target = id === null ? null : { id: id, chosen: chosen };
    render();
  }

  async function save(id, r) {
    const problem = missing(r);
    if (problem) { show(problem, true); return false; }
    try {
      const data = await panel.post("/api/sessions/" + encodeURIComponent(id) + "/consent", r);
      show("Consent recorded: every copy to be deleted by " + dateWords(data.result.delete_by) + ".", false);
      const s = known.sessions.get(id);
      if (s) { s.consent_recorded = true; }
      reset();
      if (known.target && known.target.id === id && id !== known.recording) { known.target = null; }
      $("consent").open = false;  // folded back to its one line, so Mark stays in reach
      render();
      return true;
    } catch (refusal) {
      show(refusal.message, true);
      return false;
    }
  }

  // The list is rendered whole at once: once it is, forget the sessions no longer in it.
  let pruning = false;
  function pruneAfterRender() {
    if (pruning) { return; }
    pruning = true;
    queueMicrotask(() => {
      pruning = false;
      const listed = new Set([...document.querySelectorAll("#sessions li[data-session]")].map((li) => li.dataset.session));
      const seen = [...known.sessions.values()].filter((s) => listed.has(s.id));
      sessionsSeen(seen);
    });
  }

  function decorate(detail) {
    const li = detail.item, s = detail.session;
    known.sessions.set(s.id, s);
    pruneAfterRender();
    if (s.state === "deleted") { return; }
    const line = document.createElement("span");
    line.className = "consent-state" + (s.consent_recorded ? "" : " missing");
    line.textContent = s.consent_recorded ? "Consent recorded" : "No consent record yet";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "consent-record";
    button.textContent = s.consent_recorded ? "Change consent" : "Record consent";
    button.addEventListener("click", () => {
      aim(s.id, true);
      const box = $("consent");
      box.open = true;
      box.scrollIntoView({ block: "start", behavior: "smooth" });
    });
    li.insertBefore(line, li.querySelector("button"));
    li.insertBefore(button, li.querySelector("button"));
  }

  function sessionsSeen(list) {
    known.sessions = new Map(list.map((s) => [s.id, s]));
    if (known.target && !known.sessions.has(known.target.id)) { known.target = null; reset(); }
    render();
  }

  // A session started from this page carries the form given before the tap; one started
  // any other way (the button) makes the form ask for its own record.
  function sessionStarted(id) {
    known.recording = id;
    const pending = known.pending;
    known.pending = null;
    if (pending && Date.now() < pending.until) {
      if (!missing(pending.record)) {
        aim(id, false);
        save(id, pending.record);
        return;
      }
      if (touched(pending.record)) {
        known.target = { id: id, chosen: false };  // keep what was typed: it is for this one
        show("Consent not recorded yet: " + missing(pending.record), true);
        render();
        return;
      }
    }
    if (!known.target || !known.target.chosen) { aim(id, false); }
  }

  function sessionChanged(e) {
    if (e.state === "recording" && !e.consent_recorded && e.id !== known.recording) {
      sessionStarted(e.id);
      return;
    }
    if (e.state !== "recording" && e.id === known.recording) {
      known.recording = null;
      // The form followed the recording: it stays on that session only if something was typed.
      if (known.target && known.target.id === e.id && !known.target.chosen) {
        if (touched(record())) { known.target.chosen = true; } else { known.target = null; reset(); }
      }
    }
    if (e.consent_recorded && known.sessions.has(e.id)) { known.sessions.get(e.id).consent_recorded = true; }
    render();
  }

  // A full status (the stream's first message, again after a reconnect): dates typed and
  // answers given stay; what the device knows is brought up to date.
  function statusSeen(status) {
    known.defaults = status.consent_default || null;
    const r = record();
    if (!r.involvement_ends && !r.delete_by) { fillDates(); } else { explainDates(); }
    known.deviceState = status.state;
    sessionsSeen(status.sessions || []);
    const recording = status.state === "recording" ? status.session : null;
    const current = known.sessions.get(recording);
    if (recording && recording !== known.recording && !(current && current.consent_recorded)) {
      sessionStarted(recording);  // begun while this page was not listening
    } else if (recording) {
      known.recording = recording;
    }
  }

  async function refreshDefaults() {
    const response = await fetch("/api/status", { credentials: "same-origin" });
    if (response.ok) { statusSeen(await response.json()); }
  }

  function wire() {
    $("consent-involvement").addEventListener("change", () => {
      const ends = $("consent-involvement").value;
      if (ends) { $("consent-delete-by").value = plusMonths(ends, RETENTION_MONTHS); }
      render();
    });
    $("consent").addEventListener("change", render);
    $("consent-save").addEventListener("click", async () => {
      const button = $("consent-save");
      if (!known.target) { return; }
      button.disabled = true;
      await save(known.target.id, record());
      button.disabled = false;
    });
    $("consent-cancel").addEventListener("click", () => {
      known.target = null;
      reset();
      const current = known.sessions.get(known.recording);
      if (current && !current.consent_recorded) { aim(current.id, false); }
      render();
    });
    $("start").addEventListener("click", () => {
      if (known.target) { return; }  // the form is for a listed session, not the next one
      known.pending = { record: record(), until: Date.now() + START_WAIT_MS };
    });
    const phoneTime = $("use-phone-time");
    // The phone's time makes the device's date believed: fetch the dates it can now offer.
    if (phoneTime) { phoneTime.addEventListener("click", () => setTimeout(refreshDefaults, 1000)); }
    fillDates();
    render();
  }

  panel.on("status", statusSeen);
  panel.on("session", sessionChanged);
  panel.on("session-item", decorate);
  panel.on("state", (e) => { known.deviceState = e.state; });
  document.addEventListener("DOMContentLoaded", wire);
})();
