// The viewer's page: open a stick's export with the practitioner's key, browse the
// sessions, watch one with its marks, choose the clips and frames for the shared review.
import { AgeFileError, openAgeFile } from "./agefile.js";
import { KeyFileError, readKeyFile } from "./keyring.js";
import { DevicesFileError, readDevicesFile } from "./provenance.js";
import { SessionPlayer, clock } from "./player.js";
import { emptyPlan, openPlan, saveCiphertext, sealPlan } from "./review.js";
import { consentLines, deleteBy, familyCopyAllowed, groupSessions } from "./session.js";

const $ = (id) => document.getElementById(id);
const state = {
  entries: [], keyBytes: null, keyring: null, accepted: null, sessions: [], session: null, plan: null,
};

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function show(screen) {
  for (const s of document.querySelectorAll("main > section")) s.hidden = s.id !== screen;
}

function say(id, text, kind = "info") {
  const box = $(id);
  box.textContent = text ?? "";
  box.dataset.kind = kind;
  box.hidden = !text;
}

// ---- Open ---------------------------------------------------------------------------

async function walkHandle(handle, prefix, out) {
  for await (const entry of handle.values()) {
    const path = `${prefix}/${entry.name}`;
    if (entry.kind === "file") out.push({ file: await entry.getFile(), path });
    else await walkHandle(entry, path, out);
  }
}

function folderPicked(files) {
  state.entries = [...files].map((file) => ({ file, path: file.webkitRelativePath || file.name }));
  folderChosen();
}

function folderChosen() {
  const sessions = groupSessions(state.entries);
  say("open-folder-status", sessions.length
    ? `${sessions.length} session(s) found.`
    : "No sessions in this folder. Pick the VIG-EXPORT folder on the stick.", sessions.length ? "info" : "error");
  readyToOpen();
}

function readyToOpen() {
  $("open-button").disabled = !(state.entries.length && state.keyBytes);
}

async function openAll() {
  say("open-status", "Opening…");
  try {
    state.keyring = await readKeyFile(state.keyBytes, $("passphrase").value);
  } catch (error) {
    if (!(error instanceof KeyFileError)) throw error;
    $("passphrase-row").hidden = !(error.kind === "needs_passphrase" || error.kind === "wrong_passphrase");
    say("open-status", error.message, "error");
    if (!$("passphrase-row").hidden) $("passphrase").focus();
    return;
  }
  $("passphrase").value = "";
  state.sessions = groupSessions(state.entries);
  for (const session of state.sessions) await session.open(state.keyring, state.accepted);
  say("open-status", "");
  renderList();
  show("list");
}

// ---- Browse -------------------------------------------------------------------------

function renderList() {
  const body = $("session-rows");
  body.replaceChildren();
  const today = new Date();
  for (const s of state.sessions) {
    const due = deleteBy(s.consent);
    const overdue = due && due < today;
    const row = el("tr", { class: s.error ? "failed" : "" },
      el("td", {}, s.startedAt.toISOString().slice(0, 16).replace("T", " ")),
      el("td", {}, s.caseCode ?? "—"),
      el("td", {}, s.durationS === null ? "?" : clock(s.durationS)),
      el("td", {}, s.marks.length),
      el("td", {}, s.interrupted ? "interrupted" : "complete"),
      el("td", {}, s.consent ? "recorded" : "consent not recorded"),
      el("td", { class: s.provenance?.trusted === false ? "problem" : "" },
        s.provenance?.trusted === true ? "accepted device" : s.provenance?.trusted === false ? "UNTRUSTED" : "new device"),
      el("td", { class: overdue ? "overdue" : "" }, due ? due.toISOString().slice(0, 10) + (overdue ? " (overdue)" : "") : "—"),
      el("td", {}, s.error
        ? el("span", { class: "problem" }, s.error)
        : el("button", { type: "button", onclick: () => watch(s) }, "Watch")),
    );
    body.append(row);
    const notes = [...(s.provenance && s.provenance.trusted !== true ? [s.provenance.text] : []), ...s.problems];
    for (const note of notes) body.append(el("tr", {}, el("td", { colspan: 9, class: "problem" }, `${s.id}: ${note}`)));
  }
}

// ---- Watch --------------------------------------------------------------------------

let player = null;

async function watch(session) {
  state.session = session;
  state.plan = emptyPlan(session.id);
  show("watch");
  say("watch-banner", "");
  $("watch-title").textContent = `${session.startedAt.toISOString().slice(0, 16).replace("T", " ")} · ${session.caseCode ?? "no case code"}`;
  say("watch-provenance", session.provenance?.text ?? "", session.provenance?.trusted === true ? "info" : session.provenance?.trusted === false ? "error" : "warning");
  const lines = consentLines(session.consent);
  $("consent").textContent = lines ? lines.join(" · ") : "Consent not recorded: no copy for the family can be made.";
  $("family-copy").disabled = !familyCopyAllowed(session.consent);
  const video = $("video");
  player = new SessionPlayer(video, (text, kind) => say("watch-banner", text, kind ?? "warning"));
  try {
    await player.load(session, state.keyring);
  } catch (error) {
    say("watch-banner", error instanceof AgeFileError ? error.message : String(error.message ?? error), "error");
    return;
  }
  renderMarks();
  renderPlan();
}

function leadIn() {
  return Math.max(0, Number($("lead-in").value) || 0);
}

function seekTo(t) {
  const video = $("video");
  video.currentTime = Math.max(0, t);
  video.play().catch(() => {});
}

function renderMarks() {
  const timeline = $("timeline");
  timeline.replaceChildren();
  const list = $("marks");
  list.replaceChildren();
  for (const mark of state.session.marks) {
    const left = `${(100 * mark.media_time) / player.durationS}%`;
    const tick = el("button", {
      type: "button", class: "tick", title: `Mark ${mark.number} at ${clock(mark.media_time)}`,
      "data-mark": mark.number, onclick: () => seekTo(mark.media_time - leadIn()),
    });
    // Through the CSSOM: the page's CSP refuses style attributes.
    tick.style.left = left;
    timeline.append(tick);
    list.append(el("li", {},
      el("button", { type: "button", onclick: () => seekTo(mark.media_time - leadIn()) },
        `Mark ${mark.number} at ${clock(mark.media_time)}`),
      ` ${mark.tag_label ?? "No principle"}${mark.note ? ` — ${mark.note}` : ""} `,
      el("button", { type: "button", onclick: () => playClip(mark) }, "Play its clip"),
      el("button", { type: "button", onclick: () => addMarkClip(mark) }, "Add to review"),
    ));
  }
}

async function playClip(mark) {
  const file = state.session.clipFor(mark);
  if (!file) {
    say("watch-banner", `The clip of mark ${mark.number} is missing from the stick.`, "error");
    return;
  }
  const clip = { partNames: [file.name], files: new Map([[file.name, file]]) };
  const clipPlayer = new SessionPlayer($("clip-video"), (text, kind) => say("watch-banner", text, kind ?? "warning"));
  $("clip-box").hidden = false;
  try {
    await clipPlayer.load(clip, state.keyring);
    $("clip-video").play().catch(() => {});
  } catch (error) {
    say("watch-banner", error.message ?? String(error), "error");
  }
}

// ---- Review -------------------------------------------------------------------------

function addMarkClip(mark) {
  const pre = state.session.metadata?.settings?.pre_roll ?? 10;
  const post = state.session.metadata?.settings?.post_roll ?? 5;
  state.plan.clips.push({
    mark: mark.number, in: Math.max(0, mark.media_time - pre), out: mark.media_time + post,
    principle: mark.tag_label ?? "", note: mark.note ?? "",
  });
  renderPlan();
}

function markIn() {
  state.pendingIn = $("video").currentTime;
  say("watch-banner", `In point set at ${clock(state.pendingIn)}. Play on and press "Set out point".`);
}

function markOut() {
  const out = $("video").currentTime;
  if (state.pendingIn === undefined || out <= state.pendingIn) {
    say("watch-banner", "Set an in point first, earlier than the out point.", "error");
    return;
  }
  state.plan.clips.push({ mark: null, in: state.pendingIn, out, principle: "", note: "" });
  state.pendingIn = undefined;
  say("watch-banner", "");
  renderPlan();
}

function addFrame() {
  state.plan.frames.push({ time: $("video").currentTime, note: "" });
  renderPlan();
}

function move(list, i, by) {
  const j = i + by;
  if (j < 0 || j >= list.length) return;
  [list[i], list[j]] = [list[j], list[i]];
  renderPlan();
}

function renderPlan() {
  const clips = $("plan-clips");
  clips.replaceChildren();
  state.plan.clips.forEach((clip, i) => {
    clips.append(el("li", {},
      `${clip.mark ? `Mark ${clip.mark}` : "Clip"} ${clock(clip.in)}–${clock(clip.out)} `,
      el("input", { value: clip.principle, placeholder: "principle", "aria-label": "principle",
        oninput: (e) => { clip.principle = e.target.value; } }),
      el("input", { value: clip.note, placeholder: "reflection note", "aria-label": "reflection note",
        oninput: (e) => { clip.note = e.target.value; } }),
      el("button", { type: "button", onclick: () => move(state.plan.clips, i, -1) }, "↑"),
      el("button", { type: "button", onclick: () => move(state.plan.clips, i, 1) }, "↓"),
      el("button", { type: "button", onclick: () => { state.plan.clips.splice(i, 1); renderPlan(); } }, "Remove"),
    ));
  });
  const frames = $("plan-frames");
  frames.replaceChildren();
  state.plan.frames.forEach((frame, i) => {
    frames.append(el("li", {}, `Frame at ${clock(frame.time)} `,
      el("input", { value: frame.note, placeholder: "note", "aria-label": "frame note",
        oninput: (e) => { frame.note = e.target.value; } }),
      el("button", { type: "button", onclick: () => { state.plan.frames.splice(i, 1); renderPlan(); } }, "Remove")));
  });
  const log = $("plan-disclosures");
  log.replaceChildren(...state.plan.disclosures.map((d) => el("li", {}, `${d.when}: ${d.what} to ${d.to} (${d.why})`)));
}

async function savePlan() {
  const bytes = await sealPlan(state.plan, await state.keyring.recipient());
  const name = await saveCiphertext(bytes, `review-${state.session.id}.age`);
  say("watch-banner", `Review plan saved as ${name}, encrypted to your key.`);
}

async function loadPlan(file) {
  try {
    state.plan = await openPlan(new Uint8Array(await file.arrayBuffer()), state.keyring, state.session.id);
    say("watch-banner", "Review plan opened.");
    renderPlan();
  } catch (error) {
    say("watch-banner", error.message, "error");
  }
}

async function reviewMode() {
  const video = $("video");
  const stage = $("watch");
  stage.classList.add("reviewing");
  // Full screen where the browser allows it; the Next control shows either way.
  if (stage.requestFullscreen) await stage.requestFullscreen().catch(() => {});
  for (const clip of state.plan.clips) {
    say("watch-banner", clip.principle ? `${clip.principle}${clip.note ? ` — ${clip.note}` : ""}` : "");
    await playRange(video, clip.in, clip.out);
  }
  for (const frame of state.plan.frames) {
    video.pause();
    video.currentTime = frame.time;
    say("watch-banner", frame.note || `Frame at ${clock(frame.time)}`);
    await new Promise((resolve) => $("review-next").addEventListener("click", resolve, { once: true }));
  }
  say("watch-banner", "End of the review.");
  $("review-exit").focus();
}

function playRange(video, start, end) {
  return new Promise((resolve) => {
    const check = () => {
      if (video.currentTime >= end) {
        video.pause();
        video.removeEventListener("timeupdate", check);
        resolve();
      }
    };
    video.addEventListener("timeupdate", check);
    video.currentTime = start;
    video.play().catch(() => {});
  });
}

// ---- A copy for the family ----------------------------------------------------------

async function familyCopy() {
  const session = state.session;
  if (!familyCopyAllowed(session.consent)) return;
  const to = $("disclose-to").value.trim();
  const why = $("disclose-why").value.trim();
  if (!to || !why) {
    say("watch-banner", "Say to whom the copy goes and why, before making it.", "error");
    return;
  }
  const folder = await window.showDirectoryPicker({ mode: "readwrite" });
  const what = [];
  for (const clip of state.plan.clips.filter((c) => c.mark)) {
    const mark = session.marks.find((m) => m.number === clip.mark);
    const file = mark && session.clipFor(mark);
    if (!file) continue;
    const age = await openAgeFile(file, state.keyring);
    const name = file.name.replace(/\.age$/, "");
    const writable = await (await folder.getFileHandle(name, { create: true })).createWritable();
    for (let i = 0; i < age.chunkCount; i++) await writable.write((await age.chunk(i)).bytes);
    await writable.close();
    what.push(name);
  }
  for (const frame of state.plan.frames) {
    const png = await stillAt(frame.time);
    const name = `still-${clock(frame.time).replaceAll(":", "-")}.png`;
    const writable = await (await folder.getFileHandle(name, { create: true })).createWritable();
    await writable.write(png);
    await writable.close();
    what.push(name);
  }
  state.plan.disclosures.push({ what: what.join(", "), when: new Date().toISOString(), to, why });
  renderPlan();
  say("watch-banner", `${what.length} file(s) written for the family. Save the review plan to keep the record.`);
}

async function stillAt(time) {
  const video = $("video");
  video.pause();
  video.currentTime = time;
  await new Promise((r) => video.addEventListener("seeked", r, { once: true }));
  const canvas = el("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext("2d").drawImage(video, 0, 0);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
}

// ---- Wiring -------------------------------------------------------------------------

function wire() {
  $("folder-input").addEventListener("change", (e) => folderPicked(e.target.files));
  $("drop").addEventListener("dragover", (e) => e.preventDefault());
  $("drop").addEventListener("drop", async (e) => {
    e.preventDefault();
    const out = [];
    for (const item of e.dataTransfer.items) {
      const handle = await item.getAsFileSystemHandle?.();
      if (handle?.kind === "directory") await walkHandle(handle, handle.name, out);
    }
    state.entries = out;
    folderChosen();
  });
  $("key-input").addEventListener("change", async (e) => {
    state.keyBytes = new Uint8Array(await e.target.files[0].arrayBuffer());
    e.target.value = "";
    readyToOpen();
  });
  $("devices-input").addEventListener("change", async (e) => {
    try {
      state.accepted = readDevicesFile(await e.target.files[0].text());
      say("devices-status", `${state.accepted.size} accepted device(s).`);
    } catch (error) {
      if (!(error instanceof DevicesFileError)) throw error;
      state.accepted = null;
      say("devices-status", error.message, "error");
    }
  });
  $("open-button").addEventListener("click", () => openAll());
  $("back").addEventListener("click", () => { $("video").pause(); show("list"); });
  $("set-in").addEventListener("click", markIn);
  $("set-out").addEventListener("click", markOut);
  $("add-frame").addEventListener("click", addFrame);
  $("save-plan").addEventListener("click", () => savePlan());
  $("plan-input").addEventListener("change", (e) => loadPlan(e.target.files[0]));
  $("review-mode").addEventListener("click", () => reviewMode());
  $("review-exit").addEventListener("click", () => {
    $("watch").classList.remove("reviewing");
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  });
  $("family-copy").addEventListener("click", () => familyCopy());
  show("open");
}

wire();
/** Decrypts one file twice, chunk by chunk as the player does and with typage's own stream. */
async function decryptionRates(sessionIndex, name) {
  const file = state.sessions[sessionIndex].files.get(name);
  let t0 = performance.now();
  const age = await openAgeFile(file, state.keyring);
  let bytes = 0;
  for (let i = 0; i < age.chunkCount; i++) bytes += (await age.chunk(i)).bytes.length;
  const viewerS = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const stream = await state.keyring.decrypter.decrypt(file.stream());
  const reader = stream.getReader();
  let typageBytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    typageBytes += value.length;
  }
  const typageS = (performance.now() - t0) / 1000;
  return { bytes, viewerS, typageBytes, typageS };
}

// For tests and the benchmark: where the parts join, how long the session plays, and how
// fast the page decrypts. None of it exposes a key or a plaintext byte.
window.vigViewer = {
  joins: () => (player ? player.parts.slice(1).map((p) => p.offset) : []),
  duration: () => player?.durationS ?? null,
  plan: () => state.plan,
  decryptionRates,
};
