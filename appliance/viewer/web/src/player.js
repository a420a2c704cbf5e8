// Plays a whole session, all its parts as one, through Media Source Extensions.
//
// Decrypted media goes from a chunk straight into the SourceBuffer, never into a Blob: a
// Blob past 2 GiB is written to the browser's profile on disk. Read-ahead is bounded in
// seconds, and what has been played is removed, so memory stays bounded for a 1 GiB part.
import { AgeFileError, openAgeFile } from "./agefile.js";
import { fragmentTime, readInit, startsWith } from "./mp4.js";

const READ_AHEAD_S = 12;
const KEEP_BEHIND_S = 8;
const MAX_BACK_SCAN = 64;

function appendTo(sourceBuffer, bytes) {
  return new Promise((resolve, reject) => {
    const done = () => {
      sourceBuffer.removeEventListener("updateend", done);
      sourceBuffer.removeEventListener("error", fail);
      resolve();
    };
    const fail = () => {
      sourceBuffer.removeEventListener("updateend", done);
      sourceBuffer.removeEventListener("error", fail);
      reject(new Error("the browser could not decode this video"));
    };
    sourceBuffer.addEventListener("updateend", done);
    sourceBuffer.addEventListener("error", fail);
    sourceBuffer.appendBuffer(bytes);
  });
}

function removeFrom(sourceBuffer, start, end) {
  return new Promise((resolve) => {
    sourceBuffer.addEventListener("updateend", () => resolve(), { once: true });
    sourceBuffer.remove(start, end);
  });
}

/** One part: its age file, init segment, and the fragments found so far by chunk. */
class Part {
  constructor(age) {
    this.age = age;
    this.name = age.name;
    this.fragments = new Map();
    this.lastGood = age.chunkCount - 1;
    this.cutShort = null;
  }

  async load() {
    const first = await this.age.chunk(0);
    this.init = readInit(first.bytes);
    if (!this.init) throw new AgeFileError("damaged", this.name, `${this.name} has no playable start.`);
    this.fragments.set(0, { start: 0, duration: 0 });
    await this.#findEnd();
  }

  /** The last chunk that authenticates, and where the last whole fragment ends. */
  async #findEnd() {
    for (let i = this.age.chunkCount - 1; i >= 0; i--) {
      try {
        const { final } = await this.age.chunk(i);
        this.lastGood = i;
        if (!final) this.cutShort = i;
        break;
      } catch (error) {
        if (!(error instanceof AgeFileError)) throw error;
        this.cutShort = i;
      }
    }
    const at = await this.fragmentBefore(this.lastGood);
    const complete = this.cutShort === null;
    this.durationS = complete || at.chunk === 0 ? at.time.start + at.time.duration : at.time.start;
  }

  /** The fragment starting in chunk `index`, or null when none starts there. */
  async fragmentAt(index) {
    if (this.fragments.has(index)) return this.fragments.get(index);
    const { bytes } = await this.age.chunk(index);
    const time = startsWith(bytes, "moof") ? fragmentTime(bytes, this.init) : null;
    this.fragments.set(index, time);
    return time;
  }

  /** The nearest fragment start at or before chunk `index`. */
  async fragmentBefore(index) {
    for (let i = index; i >= 0 && i > index - MAX_BACK_SCAN; i--) {
      const time = await this.fragmentAt(i);
      if (time) return { chunk: i, time };
    }
    return { chunk: 0, time: { start: 0, duration: 0 } };
  }

  /** The chunk to start feeding from to show part time `t` (the latest fragment ≤ t). */
  async chunkFor(t) {
    let lo = 0;
    let hi = this.lastGood;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if ((await this.fragmentBefore(mid)).time.start <= t) lo = mid;
      else hi = mid - 1;
    }
    return (await this.fragmentBefore(lo)).chunk;
  }
}

export class SessionPlayer {
  constructor(video, onBanner) {
    this.video = video;
    this.onBanner = onBanner;
    this.parts = [];
    this.generation = 0;
  }

  /** Opens every part of `session`, then attaches a MediaSource to the video element. */
  async load(session, keyring) {
    for (const name of session.partNames) {
      const part = new Part(await openAgeFile(session.files.get(name), keyring));
      await part.load();
      this.parts.push(part);
    }
    if (this.parts.length === 0) throw new Error("This session has no video parts.");
    let offset = 0;
    for (const part of this.parts) {
      part.offset = offset;
      offset += part.durationS;
    }
    this.durationS = offset;
    const cut = this.parts.find((p) => p.cutShort !== null);
    if (cut) {
      this.onBanner(
        `The recording was interrupted: ${cut.name} plays up to ${clock(cut.offset + cut.durationS)}, ` +
          "where its last whole piece ends.",
      );
    }
    const mime = this.parts[0].init.mime;
    if (!MediaSource.isTypeSupported(mime)) {
      throw new Error(`This browser cannot play this video (${mime}). Use Chromium, Chrome or Edge.`);
    }
    this.mediaSource = new MediaSource();
    // A MediaSource object URL refers to the player, not to media bytes: nothing to spill.
    this.video.src = URL.createObjectURL(this.mediaSource);
    await new Promise((resolve) => this.mediaSource.addEventListener("sourceopen", resolve, { once: true }));
    this.sourceBuffer = this.mediaSource.addSourceBuffer(mime);
    this.sourceBuffer.mode = "segments";
    this.mediaSource.duration = this.durationS;
    this.video.addEventListener("seeking", () => this.#seek(this.video.currentTime));
    this.video.addEventListener("timeupdate", () => this.#wake());
    await this.#seek(0);
  }

  #wake() {
    if (this.wakeUp) {
      const wake = this.wakeUp;
      this.wakeUp = null;
      wake();
    }
  }

  #bufferedAhead() {
    const t = this.video.currentTime;
    const ranges = this.sourceBuffer.buffered;
    for (let i = 0; i < ranges.length; i++) {
      if (ranges.start(i) <= t + 0.1 && ranges.end(i) >= t) return ranges.end(i) - t;
    }
    return 0;
  }

  async #seek(t) {
    // Already buffered, and the feed goes on from there: nothing to restart.
    const ranges = this.sourceBuffer.buffered;
    for (let i = 0; i < ranges.length; i++) {
      if (ranges.start(i) <= t && t < ranges.end(i) - 0.5 && this.feeding) return;
    }
    const generation = ++this.generation;
    let index = this.parts.findIndex((p) => t < p.offset + p.durationS);
    if (index < 0) index = this.parts.length - 1;
    const part = this.parts[index];
    const chunk = await part.chunkFor(Math.max(0, t - part.offset));
    if (generation !== this.generation) return;
    this.feeding = true;
    // Feeding runs on for as long as the video plays; a seek starts a new generation.
    this.#feed(generation, index, chunk).catch((error) => {
      this.onBanner(`Playback stopped: ${error.message ?? error}`, "error");
    });
  }

  async #feed(generation, partIndex, firstChunk) {
    const sb = this.sourceBuffer;
    let index = partIndex;
    let chunk = firstChunk;
    if (sb.updating) await new Promise((r) => sb.addEventListener("updateend", r, { once: true }));
    if (generation !== this.generation) return;
    if (this.mediaSource.readyState === "open") sb.abort();
    while (generation === this.generation && index < this.parts.length) {
      const part = this.parts[index];
      sb.timestampOffset = part.offset;
      if (chunk !== 0) await appendTo(sb, part.init.bytes);
      for (; chunk <= part.lastGood; chunk++) {
        while (this.#bufferedAhead() > READ_AHEAD_S) {
          await this.#trimBehind();
          await new Promise((resolve) => { this.wakeUp = resolve; });
          if (generation !== this.generation) return;
        }
        let bytes;
        try {
          ({ bytes } = await part.age.chunk(chunk));
        } catch (error) {
          if (!(error instanceof AgeFileError)) throw error;
          this.onBanner(error.message, "error");
          this.#endIfLast(generation);
          return;
        }
        if (generation !== this.generation) return;
        await appendTo(sb, bytes);
      }
      index += 1;
      chunk = 0;
      if (this.mediaSource.readyState === "open") sb.abort();
    }
    this.#endIfLast(generation);
  }

  #endIfLast(generation) {
    if (generation !== this.generation) return;
    this.feeding = false;
    if (this.mediaSource.readyState === "open" && !this.sourceBuffer.updating) {
      this.mediaSource.endOfStream();
    }
  }

  async #trimBehind() {
    const behind = this.video.currentTime - KEEP_BEHIND_S;
    const ranges = this.sourceBuffer.buffered;
    if (behind > 0 && ranges.length && ranges.start(0) < behind && !this.sourceBuffer.updating) {
      await removeFrom(this.sourceBuffer, 0, behind);
    }
  }
}

export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(h ? 2 : 1, "0");
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}
