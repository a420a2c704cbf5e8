// Who made this export: the device's Ed25519 signature on MANIFEST.json, checked against
// the accepted-devices file that vig-unpack keeps (DESIGN.md, "Tampering on the stick").
//
// The page remembers nothing between visits (every file:// page shares one localStorage),
// so the practitioner picks that file together with the key file.
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";

export const SIGNATURE = "MANIFEST.json.sig";
const SIGNATURE_FORMAT = "vig-manifest-signature/1";
const DEVICES_FORMAT = "vig-accepted-devices/1";

function fromBase64(text) {
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function fingerprint(publicKey) {
  return `ed25519:${hex(sha256(publicKey)).slice(0, 32)}`;
}

export class DevicesFileError extends Error {}

/** The accepted devices: {name: public key bytes}, from vig-unpack's devices.json. */
export function readDevicesFile(text) {
  let document;
  try {
    document = JSON.parse(text);
  } catch {
    throw new DevicesFileError("This is not an accepted-devices file (devices.json from vig-unpack).");
  }
  if (document?.format !== DEVICES_FORMAT || typeof document.devices !== "object") {
    throw new DevicesFileError("This is not an accepted-devices file (devices.json from vig-unpack).");
  }
  const devices = new Map();
  for (const [name, entry] of Object.entries(document.devices)) {
    devices.set(name, fromBase64(entry.public_key));
  }
  return devices;
}

/**
 * `{trusted, text}` for one session: `trusted` is true (signed by an accepted device), false
 * (forged, edited, or another key for a known device) or null (signed, by a device the
 * practitioner has not accepted yet: compare the fingerprint).
 */
export async function checkProvenance(manifestFile, signatureFile, device, accepted) {
  if (!manifestFile) return { trusted: false, text: "UNTRUSTED: MANIFEST.json is missing." };
  if (!signatureFile) {
    return { trusted: false, text: "UNTRUSTED: the device's signature (MANIFEST.json.sig) is missing." };
  }
  let publicKey;
  let signature;
  try {
    const sig = JSON.parse(await signatureFile.text());
    if (sig.format !== SIGNATURE_FORMAT || sig.algorithm !== "ed25519") throw new Error("format");
    publicKey = fromBase64(sig.public_key);
    signature = fromBase64(sig.signature);
  } catch {
    return { trusted: false, text: "UNTRUSTED: the device's signature cannot be read." };
  }
  const bytes = new Uint8Array(await manifestFile.arrayBuffer());
  let valid = false;
  try {
    valid = ed25519.verify(signature, bytes, publicKey);
  } catch {
    valid = false;
  }
  if (!valid) {
    return { trusted: false, text: "UNTRUSTED: MANIFEST.json was changed after the device signed it." };
  }
  const print = fingerprint(publicKey);
  const known = accepted?.get(device);
  if (!known) {
    return {
      trusted: null,
      text: `Signed by device "${device}" (${print}), which is not in your accepted-devices ` +
        "file: compare this fingerprint with `vig-appliance device-key` on the device.",
    };
  }
  if (hex(known) !== hex(publicKey)) {
    return {
      trusted: false,
      text: `UNTRUSTED: signed with a different key (${print}) from the one you accepted for ` +
        `device "${device}".`,
    };
  }
  return { trusted: true, text: `Signed by device "${device}", which you accepted.` };
}
