// An export folder as the viewer sees it: sessions, each with its manifest, metadata,
// marks, clips and parts. Every file is named when it fails; the other sessions still open.
import { sha256 } from "@noble/hashes/sha2.js";
import { AgeFileError, openAgeFile } from "./agefile.js";
import { SIGNATURE, checkProvenance, hex } from "./provenance.js";

const SESSION_ID = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})-[a-z2-7]{4}$/;
const PART = /^part-(\d{4})\.mp4\.age$/;
const MARK = /^mark-(\d{4})\.json\.age$/;
const CLIP = /^clip-(\d{4})\.mp4\.age$/;
export const MANIFEST = "MANIFEST.json";
export const METADATA = "session.json.age";
export const CONSENT = "consent.json.age";
// Files a Mac leaves in any folder it opens: never named, never used.
const HIDDEN = /^(\.DS_Store|\._.*)$/;
// Files small enough to hash when the session is opened; parts are authenticated by age
// chunk by chunk as they play.
const HASHED_UP_TO = 32 << 20;

/** Groups picked files ({file, path}) into sessions by their folder's name. */
export function groupSessions(entries) {
  const sessions = new Map();
  for (const { file, path } of entries) {
    const parts = path.split("/");
    if (parts.length < 2) continue;
    const id = parts[parts.length - 2];
    if (!SESSION_ID.test(id)) continue;
    if (!sessions.has(id)) sessions.set(id, new Map());
    sessions.get(id).set(parts[parts.length - 1], file);
  }
  return [...sessions.entries()]
    .sort(([a], [b]) => (a < b ? 1 : -1))
    .map(([id, files]) => new Session(id, files));
}

function startedAt(id) {
  const m = SESSION_ID.exec(id);
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

async function readJson(file, keyring) {
  const age = await openAgeFile(file, keyring);
  return JSON.parse(new TextDecoder().decode(await age.readAll()));
}

export class Session {
  constructor(id, files) {
    this.id = id;
    this.files = files;
    this.startedAt = startedAt(id);
    this.manifest = null;
    this.metadata = null;
    this.consent = null;
    this.marks = [];
    this.problems = [];
    this.error = null;
    this.provenance = null;
  }

  get partNames() {
    return [...this.files.keys()].filter((n) => PART.test(n)).sort();
  }

  get interrupted() {
    return this.manifest?.state === "interrupted" ||
      (this.manifest?.files ?? []).some((f) => f.complete === false);
  }

  get durationS() {
    return this.manifest?.duration_s ?? null;
  }

  get caseCode() {
    return this.metadata?.case_code ?? null;
  }

  clipFor(mark) {
    const name = mark.clip ?? `clip-${String(mark.number).padStart(4, "0")}.mp4.age`;
    return this.files.get(name) ?? null;
  }

  /** Checks the signature and manifest, decrypts metadata, consent and marks. Never throws. */
  async open(keyring, accepted) {
    try {
      await this.#readManifest();
      this.provenance = await checkProvenance(
        this.files.get(MANIFEST), this.files.get(SIGNATURE), this.manifest?.device, accepted);
      if (this.provenance.trusted !== false) await this.#keepOnlyListedFiles();
      this.metadata = await readJson(this.#need(METADATA), keyring);
      if (this.files.has(CONSENT)) this.consent = await readJson(this.files.get(CONSENT), keyring);
      for (const name of [...this.files.keys()].filter((n) => MARK.test(n)).sort()) {
        try {
          this.marks.push(await readJson(this.files.get(name), keyring));
        } catch (error) {
          this.problems.push(error instanceof AgeFileError ? error.message : `${name} could not be read.`);
        }
      }
      this.marks.sort((a, b) => a.media_time - b.media_time);
    } catch (error) {
      this.error = error instanceof AgeFileError || error instanceof SessionError
        ? error.message
        : `This session could not be opened (${error?.message ?? error}).`;
    }
    return this;
  }

  #need(name) {
    const file = this.files.get(name);
    if (!file) throw new SessionError(`${name} is missing from this session's folder.`);
    return file;
  }

  async #readManifest() {
    const file = this.files.get(MANIFEST);
    if (!file) {
      this.problems.push("MANIFEST.json is missing: the export may be incomplete.");
      return;
    }
    try {
      this.manifest = JSON.parse(await file.text());
    } catch {
      this.problems.push("MANIFEST.json is not readable.");
      return;
    }
    const listed = new Map((this.manifest.files ?? []).map((f) => [f.name, f]));
    for (const [name, entry] of listed) {
      const file = this.files.get(name);
      if (!file) this.problems.push(`${name} is listed in the manifest but missing.`);
      else if (file.size !== entry.size) this.problems.push(`${name} is not the size the manifest gives.`);
    }
    for (const name of this.files.keys()) {
      if (name !== MANIFEST && name !== SIGNATURE && !HIDDEN.test(name) && !listed.has(name)) {
        this.problems.push(`${name} is not in the signed manifest: it was added after the export and is not used.`);
      }
    }
  }

  /** With a good signature, only what the device listed is used, and small files are hashed. */
  async #keepOnlyListedFiles() {
    const listed = new Map((this.manifest?.files ?? []).map((f) => [f.name, f]));
    for (const name of [...this.files.keys()]) {
      if (name === MANIFEST || name === SIGNATURE) continue;
      const entry = listed.get(name);
      if (!entry) {
        this.files.delete(name);
        continue;
      }
      const file = this.files.get(name);
      if (file.size <= HASHED_UP_TO && entry.sha256) {
        const digest = hex(sha256(new Uint8Array(await file.arrayBuffer())));
        if (digest !== entry.sha256 && PART.test(name)) {
          // Kept: age still refuses every chunk that was changed, and names where.
          this.problems.push(`${name} is not the file the device exported (its SHA-256 differs).`);
        } else if (digest !== entry.sha256) {
          this.problems.push(`${name} is not the file the device exported (its SHA-256 differs): it is not used.`);
          this.files.delete(name);
        }
      }
    }
  }
}

export class SessionError extends Error {}

/** The consent record in words; null when none was recorded. */
export function consentLines(consent) {
  if (!consent) return null;
  const yesNo = (v) => (v === true ? "yes" : v === false ? "no" : "not stated");
  return [
    `Filming: ${yesNo(consent.filming)}`,
    `Clips in supervision or training: ${yesNo(consent.training)}`,
    `Stills or clips for the family: ${yesNo(consent.family_copy)}`,
    `Delete every copy by: ${consent.delete_by ?? "not stated"}`,
  ];
}

export function familyCopyAllowed(consent) {
  return Boolean(consent && consent.family_copy === true);
}

export function deleteBy(consent) {
  return consent?.delete_by ? new Date(`${consent.delete_by}T00:00:00Z`) : null;
}
