// Just enough ISO BMFF to play the appliance's fragmented MP4 through Media Source
// Extensions: find the init segment, read the codecs and time scales, and date a fragment.

const TYPE = new TextDecoder("latin1");

function u32(b, at) {
  return ((b[at] << 24) >>> 0) + (b[at + 1] << 16) + (b[at + 2] << 8) + b[at + 3];
}

function u64(b, at) {
  return u32(b, at) * 2 ** 32 + u32(b, at + 4);
}

/** Boxes laid end to end in b[start, end): {type, start, size, body}. A cut box ends the list. */
export function boxes(b, start = 0, end = b.length) {
  const found = [];
  let at = start;
  while (at + 8 <= end) {
    let size = u32(b, at);
    let body = at + 8;
    if (size === 1) {
      if (at + 16 > end) break;
      size = u64(b, at + 8);
      body = at + 16;
    } else if (size === 0) {
      size = end - at;
    }
    if (size < 8) break;
    found.push({ type: TYPE.decode(b.subarray(at + 4, at + 8)), start: at, size, body, end: at + size });
    at += size;
  }
  return found;
}

function child(b, box, type, skip = 0) {
  return boxes(b, box.body + skip, Math.min(box.end, b.length)).find((x) => x.type === type);
}

function path(b, box, ...types) {
  let at = box;
  for (const type of types) {
    if (!at) return undefined;
    at = child(b, at, type);
  }
  return at;
}

/** Does `b` start with a box of this type (a fragment starts with `moof`)? */
export function startsWith(b, type) {
  return b.length >= 8 && TYPE.decode(b.subarray(4, 8)) === type && u32(b, 0) >= 8;
}

/**
 * The init segment (ftyp + moov) at the start of a part, its MSE type string and the
 * time scale of each track. Returns null until `b` holds the whole moov.
 */
export function readInit(b) {
  const top = boxes(b);
  const moov = top.find((x) => x.type === "moov");
  if (!moov || moov.end > b.length) return null;
  const tracks = {};
  const codecs = [];
  let videoTrack = null;
  for (const trak of boxes(b, moov.body, moov.end).filter((x) => x.type === "trak")) {
    const tkhd = child(b, trak, "tkhd");
    const version = b[tkhd.body];
    const id = u32(b, tkhd.body + (version === 1 ? 20 : 12));
    const mdhd = path(b, trak, "mdia", "mdhd");
    const timescale = u32(b, mdhd.body + (b[mdhd.body] === 1 ? 20 : 12));
    const stsd = path(b, trak, "mdia", "minf", "stbl", "stsd");
    const entry = boxes(b, stsd.body + 8, stsd.end)[0];
    let defaultDuration = 0;
    const trex = boxes(b, (child(b, moov, "mvex") ?? moov).body, moov.end)
      .filter((x) => x.type === "trex")
      .find((x) => u32(b, x.body + 4) === id);
    if (trex) defaultDuration = u32(b, trex.body + 12);
    tracks[id] = { timescale, defaultDuration, kind: entry.type };
    if (entry.type === "avc1" || entry.type === "avc3") {
      videoTrack = id;
      const avcC = child(b, entry, "avcC", 78);
      const hex = (n) => n.toString(16).padStart(2, "0").toUpperCase();
      codecs.push(`${entry.type}.${hex(b[avcC.body + 1])}${hex(b[avcC.body + 2])}${hex(b[avcC.body + 3])}`);
    } else if (entry.type === "mp4a") {
      codecs.push("mp4a.40.2");
    }
  }
  return {
    bytes: b.subarray(0, moov.end),
    mime: `video/mp4; codecs="${codecs.join(", ")}"`,
    tracks,
    videoTrack,
  };
}

/**
 * When a fragment starts and how long it lasts, in seconds of its part, read from the
 * video track's tfdt and trun (falling back to the first track when there is no video).
 */
export function fragmentTime(b, init) {
  const moof = boxes(b).find((x) => x.type === "moof");
  if (!moof || moof.end > b.length) return null;
  let best = null;
  for (const traf of boxes(b, moof.body, moof.end).filter((x) => x.type === "traf")) {
    const tfhd = child(b, traf, "tfhd");
    const flags = u32(b, tfhd.body) & 0xffffff;
    const id = u32(b, tfhd.body + 4);
    const track = init.tracks[id];
    if (!track) continue;
    let at = tfhd.body + 8;
    if (flags & 0x1) at += 8;
    if (flags & 0x2) at += 4;
    let defaultDuration = track.defaultDuration;
    if (flags & 0x8) defaultDuration = u32(b, at);
    const tfdt = child(b, traf, "tfdt");
    const decodeTime = b[tfdt.body] === 1 ? u64(b, tfdt.body + 4) : u32(b, tfdt.body + 4);
    let ticks = 0;
    for (const trun of boxes(b, traf.body, traf.end).filter((x) => x.type === "trun")) {
      const trunFlags = u32(b, trun.body) & 0xffffff;
      const count = u32(b, trun.body + 4);
      let p = trun.body + 8;
      if (trunFlags & 0x1) p += 4;
      if (trunFlags & 0x4) p += 4;
      const fields = [0x100, 0x200, 0x400, 0x800].filter((f) => trunFlags & f).length;
      for (let i = 0; i < count; i++) {
        ticks += trunFlags & 0x100 ? u32(b, p) : defaultDuration;
        p += 4 * fields;
      }
    }
    const time = { start: decodeTime / track.timescale, duration: ticks / track.timescale };
    if (id === init.videoTrack || best === null) best = time;
    if (id === init.videoTrack) break;
  }
  return best;
}
