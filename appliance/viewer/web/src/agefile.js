// Random access into an age file, one 64 KiB STREAM chunk at a time.
//
// typage decrypts whole files or whole streams; the viewer needs more: to seek into a 1 GiB
// part without reading what comes before, and to stop at the first chunk that fails to
// authenticate (an interrupted part plays up to there; typage's stream releases less).
// typage still does everything about keys and the header; this file only derives the
// payload key from the file key and opens chunks, as the age spec's STREAM section says.
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";

export const CHUNK = 65536;
const TAG = 16;
const SEALED = CHUNK + TAG;
const NONCE = 16;
const MAGIC = "age-encryption.org/v1\n";
const MAX_HEADER = 1 << 20;
// Chunks are read from the file 16 at a time (about 1 MiB): one read per chunk costs more
// in the browser's file machinery than decrypting it does.
const CHUNKS_PER_READ = 16;
const PAYLOAD_LABEL = new TextEncoder().encode("payload");

/** What went wrong with one file, in words a practitioner can act on. */
export class AgeFileError extends Error {
  constructor(kind, file, message) {
    super(message);
    this.kind = kind; // "not_age" | "wrong_key" | "damaged"
    this.file = file;
  }
}

async function readSlice(file, start, end) {
  return new Uint8Array(await file.slice(start, end).arrayBuffer());
}

function headerEnd(bytes) {
  // The header ends with the line "--- <MAC>\n".
  for (let i = 0; i + 4 < bytes.length; i++) {
    if (bytes[i] === 10 && bytes[i + 1] === 45 && bytes[i + 2] === 45 && bytes[i + 3] === 45 &&
        bytes[i + 4] === 32) {
      const lineEnd = bytes.indexOf(10, i + 5);
      return lineEnd < 0 ? -1 : lineEnd + 1;
    }
  }
  return -1;
}

async function readHeader(file) {
  for (let size = 4096; ; size *= 4) {
    const head = await readSlice(file, 0, Math.min(size, file.size));
    const magic = new TextDecoder().decode(head.subarray(0, MAGIC.length));
    if (magic !== MAGIC) {
      throw new AgeFileError("not_age", file.name, `${file.name} is not an age file.`);
    }
    const end = headerEnd(head);
    if (end >= 0) return head.subarray(0, end);
    if (head.length >= file.size || size >= MAX_HEADER) {
      throw new AgeFileError("damaged", file.name, `${file.name} is damaged: its header is cut short.`);
    }
  }
}

function chunkNonce(index, last) {
  const nonce = new Uint8Array(12);
  let n = index;
  for (let i = 10; i >= 0 && n > 0; i--) {
    nonce[i] = n % 256;
    n = Math.floor(n / 256);
  }
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/**
 * One opened age file. `chunk(i)` gives the plaintext of chunk i, or throws when it does
 * not authenticate. A file whose last chunk is not sealed as the last one was cut short:
 * `endsEarly` reports that, once the last chunk has been read.
 */
export class AgeFile {
  constructor(file, payloadStart, payloadKey) {
    this.file = file;
    this.name = file.name;
    this.payloadStart = payloadStart;
    this.key = payloadKey;
    const sealed = file.size - payloadStart;
    this.chunkCount = Math.max(1, Math.ceil(sealed / SEALED));
    this.window = { first: -1, bytes: null };
  }

  /** The sealed bytes of chunk `index`, from an aligned window of chunks read at once. */
  async #sealed(index) {
    const first = index - (index % CHUNKS_PER_READ);
    if (this.window.first !== first) {
      const start = this.payloadStart + first * SEALED;
      const end = Math.min(start + CHUNKS_PER_READ * SEALED, this.file.size);
      this.window = { first, bytes: await readSlice(this.file, start, end) };
    }
    const at = (index - first) * SEALED;
    return this.window.bytes.subarray(at, Math.min(at + SEALED, this.window.bytes.length));
  }

  /** Decrypts chunk `index`; `{bytes, final}` where final says it was sealed as the last. */
  async chunk(index) {
    const sealed = await this.#sealed(index);
    const isLast = index === this.chunkCount - 1;
    if (isLast) {
      const opened = this.#open(sealed, index, true);
      if (opened) return { bytes: opened, final: true };
    }
    const opened = sealed.length === SEALED ? this.#open(sealed, index, false) : null;
    if (opened) return { bytes: opened, final: false };
    throw new AgeFileError(
      "damaged",
      this.name,
      isLast
        ? `${this.name} was cut short (the recording was interrupted) after ${fmtBytes(index * CHUNK)}.`
        : `${this.name} is damaged or has been altered at ${fmtBytes(index * CHUNK)}: ` +
          "nothing after that point is shown.",
    );
  }

  #open(sealed, index, last) {
    try {
      return chacha20poly1305(this.key, chunkNonce(index, last)).decrypt(sealed);
    } catch {
      // An authentication failure is the expected answer for a wrong guess of `last`.
      return null;
    }
  }

  /** The whole plaintext, for small files (metadata, marks): any failure throws. */
  async readAll() {
    const parts = [];
    for (let i = 0; i < this.chunkCount; i++) {
      const { bytes, final } = await this.chunk(i);
      parts.push(bytes);
      if (i === this.chunkCount - 1 && !final) {
        throw new AgeFileError("damaged", this.name, `${this.name} was cut short.`);
      }
    }
    return concat(parts);
  }
}

export function concat(parts) {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function fmtBytes(n) {
  if (n < 1 << 20) return `${Math.round(n / 1024)} KiB`;
  return `${(n / (1 << 20)).toFixed(1)} MiB`;
}

/** Opens `file` with the keyring's identities (typage checks the stanzas and header MAC). */
export async function openAgeFile(file, keyring) {
  const header = await readHeader(file);
  const fileKey = await keyring.fileKey(header, file.name);
  const nonce = await readSlice(file, header.length, header.length + NONCE);
  if (nonce.length < NONCE) {
    throw new AgeFileError("damaged", file.name, `${file.name} is damaged: it ends after its header.`);
  }
  const key = hkdf(sha256, fileKey, nonce, PAYLOAD_LABEL, 32);
  return new AgeFile(file, header.length + NONCE, key);
}
