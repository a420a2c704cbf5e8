// The review plan: the clips and frames chosen for the shared review, and each disclosure
// to the family. It is saved only as an age file to the practitioner's own recipient.
import { Decrypter, Encrypter } from "age-encryption";

export const PLAN_FORMAT = "vig-review-plan/1";

export function emptyPlan(sessionId) {
  return { format: PLAN_FORMAT, session_id: sessionId, clips: [], frames: [], disclosures: [] };
}

export async function sealPlan(plan, recipient) {
  const encrypter = new Encrypter();
  encrypter.addRecipient(recipient);
  return encrypter.encrypt(JSON.stringify(plan));
}

export class PlanError extends Error {}

export async function openPlan(bytes, keyring, sessionId) {
  const decrypter = new Decrypter();
  for (const identity of keyring.identities) decrypter.addIdentity(identity);
  let plan;
  try {
    plan = JSON.parse(await decrypter.decrypt(bytes, "text"));
  } catch {
    throw new PlanError("This file is not a review plan made with this key.");
  }
  if (plan?.format !== PLAN_FORMAT) throw new PlanError("This file is not a review plan.");
  if (plan.session_id !== sessionId) {
    throw new PlanError(`This review plan belongs to session ${plan.session_id}, not ${sessionId}.`);
  }
  for (const key of ["clips", "frames", "disclosures"]) plan[key] = Array.isArray(plan[key]) ? plan[key] : [];
  return plan;
}

/** Saves `bytes` (ciphertext only) to a file the practitioner chooses. */
export async function saveCiphertext(bytes, suggestedName) {
  if (window.showSaveFilePicker) {
    const handle = await window.showSaveFilePicker({ suggestedName });
    const writable = await handle.createWritable();
    await writable.write(bytes);
    await writable.close();
    return handle.name;
  }
  // Fallback: a download of the ciphertext (never of media or plaintext).
  const link = document.createElement("a");
  link.download = suggestedName;
  link.href = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
  link.click();
  URL.revokeObjectURL(link.href);
  return suggestedName;
}
