// The practitioner's key, held in this page's memory only, never stored.
//
// Three kinds of key file open here, as `vig-appliance keys new` writes them: an X25519
// identity (AGE-SECRET-KEY-1…), a hybrid post-quantum one (AGE-SECRET-KEY-PQ-1…), and
// either of those inside a passphrase-protected age file (scrypt), binary or armored.
import { Decrypter, armor, identityToRecipient } from "age-encryption";
import { AgeFileError } from "./agefile.js";

const IDENTITY = /^AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]+$/;

export class KeyFileError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind; // "not_a_key" | "needs_passphrase" | "wrong_passphrase"
  }
}

function identitiesIn(text) {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => IDENTITY.test(line));
}

function ageBytes(bytes) {
  const text = new TextDecoder().decode(bytes.subarray(0, 64));
  if (text.startsWith("-----BEGIN AGE ENCRYPTED FILE-----")) {
    return armor.decode(new TextDecoder().decode(bytes));
  }
  if (text.startsWith("age-encryption.org/v1\n")) return bytes;
  return null;
}

/** The identities in a key file; `passphrase` is needed when it is protected. */
export async function readKeyFile(bytes, passphrase) {
  const sealed = ageBytes(bytes);
  let text;
  if (sealed) {
    if (!passphrase) {
      throw new KeyFileError("needs_passphrase", "This key file is protected: type its passphrase.");
    }
    const decrypter = new Decrypter();
    decrypter.addPassphrase(passphrase);
    try {
      text = await decrypter.decrypt(sealed, "text");
    } catch {
      // typage says only "no identity matched"; with one passphrase that means a wrong one.
      throw new KeyFileError("wrong_passphrase", "That passphrase does not open this key file. Try again.");
    }
  } else {
    text = new TextDecoder().decode(bytes);
  }
  const identities = identitiesIn(text);
  if (identities.length === 0) {
    throw new KeyFileError(
      "not_a_key",
      "This file holds no age secret key. Pick the key file made by `keys new` (it starts with AGE-SECRET-KEY).",
    );
  }
  return new Keyring(identities);
}

export class Keyring {
  constructor(identities) {
    this.identities = identities;
    this.decrypter = new Decrypter();
    for (const identity of identities) this.decrypter.addIdentity(identity);
  }

  /** The practitioner's own recipient, to which the review plan is encrypted. */
  async recipient() {
    return identityToRecipient(this.identities[0]);
  }

  async fileKey(header, name) {
    try {
      return await this.decrypter.decryptHeader(header);
    } catch (error) {
      // typage throws plain Errors for both header failures; its wording is the only
      // signal it gives, and the pinned version's two messages are tested.
      if (String(error?.message).includes("HMAC")) {
        throw new AgeFileError("damaged", name, `${name} is damaged or has been altered (its header does not check).`);
      }
      throw new AgeFileError(
        "wrong_key",
        name,
        `${name} was not recorded for this key. Pick the key file whose public key was enrolled on the device.`,
      );
    }
  }
}
