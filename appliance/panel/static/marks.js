// The marks of the session being recorded: each Mark acknowledged where the thumb is, a
// principle and a note given after a mark to that mark (the latest, or one chosen from the
// list), and the list itself, where a mark can be re-tagged, given a note or removed until
// Stop. Every change names its session and mark, so the device refuses one meant for a
// session that has stopped: nothing typed here can reach the next family's marks.
"use strict";

(function () {
  const panel = window.vigPanel;
  const $ = (id) => document.getElementById(id);
  // How long the confirmation of a removal stays dead, so a second tap cannot remove.
  const CONFIRM_PAUSE_MS = 600;
  // A note is saved this long after the last key, and at once on Enter or "Save note".
  const NOTE_SAVE_MS = 800;

  const marks = {
    session: null, // the session being recorded (null: none, and nothing can be changed)
    list: new Map(), // number -> {number, media_time, tag, tag_label, note}
    chosen: null, // the mark the principles and the note apply to
    acked: 0, // the highest mark number acknowledged under the thumb
  };
  // The note being typed, bound to the mark it was started for (never the one after).
  let draft = null; // {session, number, text}
  let draftTimer = null;

  function url(session, number, change) {
    return "/api/sessions/" + encodeURIComponent(session) + "/marks/" + number + "/" + change;
  }

  function labelOf(mark) {
    return mark.tag_label || "No principle";
  }

  function whenOf(mark) {
    return "Mark " + mark.number + " at " + panel.formatElapsed(mark.media_time);
  }

  // ---- the list -------------------------------------------------------------------------
  function render() {
    const list = $("marks-list");
    list.replaceChildren();
    const numbers = Array.from(marks.list.keys()).sort((a, b) => a - b);
    numbers.forEach((number) => list.appendChild(item(marks.list.get(number))));
    $("marks-empty").hidden = numbers.length > 0 || marks.session === null;
    $("marks-sealed").hidden = marks.session !== null;
    showChosen();
  }

  function item(mark) {
    const li = document.createElement("li");
    li.dataset.mark = String(mark.number);
    li.classList.toggle("chosen", mark.number === marks.chosen);
    const pick = document.createElement("button");
    pick.type = "button";
    pick.className = "mark-pick";
    pick.setAttribute("aria-pressed", String(mark.number === marks.chosen));
    const when = document.createElement("span");
    when.className = "when";
    when.textContent = whenOf(mark);
    const what = document.createElement("span");
    what.className = "what";
    what.textContent = labelOf(mark) + (mark.note ? " — " + mark.note : "");
    pick.append(when, what);
    pick.addEventListener("click", () => choose(mark.number));
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "mark-remove";
    remove.textContent = "Remove";
    remove.setAttribute("aria-label", "Remove mark " + mark.number);
    remove.addEventListener("click", () => askToRemove(li, mark.number, remove));
    li.append(pick, remove);
    return li;
  }

  // The confirmation opens below, its "Yes" away from where Remove was tapped and dead for
  // a moment: a double tap lands on "Keep" or on nothing.
  function askToRemove(li, number, remove) {
    remove.disabled = true;
    const box = document.createElement("div");
    box.className = "remove-confirm";
    const words = document.createElement("p");
    words.textContent = "Remove mark " + number + " and its clip for good?";
    const yes = document.createElement("button");
    yes.type = "button";
    yes.className = "remove-yes";
    yes.textContent = "Yes, remove it";
    yes.disabled = true;
    const keep = document.createElement("button");
    keep.type = "button";
    keep.className = "remove-keep";
    keep.textContent = "Keep it";
    keep.addEventListener("click", () => { box.remove(); remove.disabled = false; });
    yes.addEventListener("click", async () => {
      yes.disabled = true;
      const session = marks.session;
      const done = await panel.command(url(session, number, "remove"), { confirm: true },
        "Mark " + number + " removed.");
      if (done && session === marks.session) { forget(number); } else if (!done) { yes.disabled = false; }
    });
    box.append(words, yes, keep);
    li.appendChild(box);
    setTimeout(() => { yes.disabled = false; }, CONFIRM_PAUSE_MS);
  }

  // ---- the chosen mark: its principle and note ----------------------------------------
  function showChosen() {
    const mark = marks.chosen === null ? null : marks.list.get(marks.chosen);
    const open = marks.session !== null;
    document.querySelectorAll(".tag").forEach((b) => {
      b.disabled = !mark;
      b.setAttribute("aria-pressed", String(!!mark && mark.tag === b.dataset.tag));
    });
    $("note").disabled = !mark;
    $("save-note").disabled = !mark;
    if (mark) {
      $("mark-target").textContent = "Principle and note for " + whenOf(mark) + ":";
      $("note-label").textContent = "Note for mark " + mark.number + " (optional)";
    } else {
      $("mark-target").textContent = open
        ? "Tap Mark, then choose a principle or type a note for that mark."
        : "Marks are made while a session records.";
      $("note-label").textContent = "Note for the chosen mark (optional)";
    }
  }

  function noteOfChosen() {
    const mark = marks.chosen === null ? null : marks.list.get(marks.chosen);
    return mark && mark.note ? mark.note : "";
  }

  // Choosing another mark first saves what was typed for the one before, to that one.
  function choose(number) {
    flushNote();
    marks.chosen = number;
    $("note").value = noteOfChosen();
    $("note-state").textContent = "";
    render();
  }

  async function tag(slug) {
    const mark = marks.list.get(marks.chosen);
    if (!mark || marks.session === null) { return; }
    const next = mark.tag === slug ? null : slug; // a second tap on the same one clears it
    const session = marks.session;
    const done = await panel.command(url(session, mark.number, "tag"), { tag: next },
      next ? "Mark " + mark.number + ": " + labelOf({ tag_label: tagLabel(next) }) + "." :
        "Mark " + mark.number + ": no principle.");
    if (done && session === marks.session) { upsert(done.result); }
  }

  function tagLabel(slug) {
    const button = document.querySelector('.tag[data-tag="' + slug + '"]');
    return button ? button.textContent.trim() : slug;
  }

  function typed() {
    if (marks.chosen === null || marks.session === null) { return; }
    if (draft && (draft.number !== marks.chosen || draft.session !== marks.session)) { flushNote(); }
    draft = { session: marks.session, number: marks.chosen, text: $("note").value };
    $("note-state").textContent = "Not saved yet.";
    clearTimeout(draftTimer);
    draftTimer = setTimeout(flushNote, NOTE_SAVE_MS);
  }

  // Send the note typed, to the mark it was typed for; a refusal (the session stopped) says
  // where the note goes instead, and the words stay in the field until the next session.
  async function flushNote() {
    clearTimeout(draftTimer);
    if (!draft) { return; }
    const sending = draft;
    draft = null;
    try {
      const done = await panel.post(url(sending.session, sending.number, "note"), { note: sending.text });
      if (sending.session === marks.session) {
        upsert(done.result);
        if (marks.chosen === sending.number && !draft) {
          $("note-state").textContent = "Note saved on mark " + sending.number + ".";
        }
      }
    } catch (refusal) {
      if (marks.session === null || marks.session === sending.session) {
        $("note-state").textContent = "Not saved on mark " + sending.number + ": " + refusal.message;
      }
    }
  }

  // ---- what the device says -----------------------------------------------------------
  function upsert(mark) {
    if (!mark || typeof mark.number !== "number") { return; }
    const known = marks.list.get(mark.number) || {};
    marks.list.set(mark.number, Object.assign({}, known, mark));
    render();
  }

  function forget(number) {
    if (!marks.list.delete(number)) { return; }
    if (draft && draft.number === number) { draft = null; clearTimeout(draftTimer); }
    if (marks.chosen === number) {
      const left = Array.from(marks.list.keys());
      marks.chosen = left.length ? Math.max.apply(null, left) : null;
      $("note").value = noteOfChosen();
    }
    render();
  }

  // A new mark is acknowledged under the thumb and becomes the chosen one.
  function made(mark) {
    if (!mark || typeof mark.number !== "number" || marks.session === null) { return; }
    const isNew = !marks.list.has(mark.number);
    upsert(mark);
    if (mark.number > marks.acked) {
      marks.acked = mark.number;
      $("mark-ack").textContent = whenOf(mark);
    }
    if (isNew && mark.number >= Math.max.apply(null, Array.from(marks.list.keys()))) { choose(mark.number); }
  }

  // A session begins or ends: nothing of the last one is kept for the next. `listed` (from
  // a status snapshot, as after a reconnection) is the device's whole list and replaces ours.
  function begin(session, listed) {
    if (session !== marks.session) {
      clearTimeout(draftTimer);
      draft = null;
      marks.list = new Map();
      marks.acked = 0;
      marks.chosen = null;
      $("mark-ack").textContent = "";
      $("note").value = "";
      $("note-state").textContent = "";
    }
    marks.session = session;
    if (listed) {
      marks.list = new Map(listed.map((m) => [m.number, m]));
      listed.forEach((m) => { marks.acked = Math.max(marks.acked, m.number); });
    }
    if (marks.chosen === null || !marks.list.has(marks.chosen)) {
      const numbers = Array.from(marks.list.keys());
      marks.chosen = numbers.length ? Math.max.apply(null, numbers) : null;
      if (!draft) { $("note").value = noteOfChosen(); }
    }
    render();
  }

  function end() {
    if (marks.session === null) { return; }
    flushNote();
    marks.session = null;
    marks.list = new Map();
    marks.chosen = null;
    $("mark-ack").textContent = "";
    render();
  }

  function onStatus(status) {
    if (status.state === "recording" && status.session) {
      begin(status.session, status.marks);
    } else {
      end();
    }
  }

  function wire() {
    document.querySelectorAll(".tag").forEach((b) => b.addEventListener("click", () => tag(b.dataset.tag)));
    $("note").addEventListener("input", typed);
    $("note").addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); flushNote(); } });
    $("note").addEventListener("blur", () => { flushNote(); });
    $("save-note").addEventListener("click", () => { flushNote(); });
    // The first touch on Stop sends the note before the stop can land.
    $("stop").addEventListener("pointerdown", () => { flushNote(); });
    render();
  }

  panel.on("status", onStatus);
  panel.on("session", (e) => {
    if (e.state === "recording") { begin(e.id, null); } else if (e.id === marks.session) { end(); }
  });
  panel.on("state", (e) => { if (e.state !== "recording") { end(); } });
  panel.on("mark", (e) => { if (e.session === marks.session) { made(e); } });
  panel.on("marked", made);
  panel.on("mark_edited", (e) => { if (e.session === marks.session) { upsert(e); } });
  panel.on("mark_removed", (e) => { if (e.session === marks.session) { forget(e.number); } });
  document.addEventListener("DOMContentLoaded", wire);
})();
