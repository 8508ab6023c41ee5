import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM envelope for one cache file:
 * magic "M3TC" | version 1 | key id (8) | iv (12) | tag (16) | ciphertext.
 * The key id lets a wrong key be told apart from a damaged file; the label (which partition the
 * file is) is authenticated so files cannot be swapped or renamed into another account's place.
 */
const MAGIC = Buffer.from('M3TC', 'ascii');
const VERSION = 1;
const KEY_ID_BYTES = 8;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + 1 + KEY_ID_BYTES;
export const KEY_BYTES = 32;

/** Why a box did not open, for callers that react differently to a wrong key than to damage. */
export type UnsealReason = 'format' | 'version' | 'wrong-key' | 'tampered';

export class UnsealError extends Error {
  override readonly name = 'UnsealError';
  constructor(
    message: string,
    readonly reason: UnsealReason,
  ) {
    super(message);
  }
}

/** Not secret: an HMAC of a constant under the key, so it reveals nothing about the key. */
function keyId(key: Buffer): Buffer {
  return createHmac('sha256', key).update('m365-copilot-mcp token cache key id').digest().subarray(0, KEY_ID_BYTES);
}

export function seal(key: Buffer, label: string, plaintext: Buffer): Buffer {
  const header = Buffer.concat([MAGIC, Buffer.from([VERSION]), keyId(key)]);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.concat([header, Buffer.from(label, 'utf8')]));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, iv, cipher.getAuthTag(), ciphertext]);
}

export function unseal(key: Buffer, label: string, box: Buffer): Buffer {
  if (box.length < HEADER_BYTES + IV_BYTES + TAG_BYTES || !box.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new UnsealError('it is not an encrypted token cache file (or it is truncated)', 'format');
  }
  const version = box[MAGIC.length];
  if (version !== VERSION) throw new UnsealError(`it has an unknown format version ${String(version)}`, 'version');
  const header = box.subarray(0, HEADER_BYTES);
  if (!header.subarray(MAGIC.length + 1).equals(keyId(key))) {
    throw new UnsealError('it was encrypted with a different key (the key may be in an OS keychain that is not reachable now)', 'wrong-key');
  }
  const iv = box.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES);
  const tag = box.subarray(HEADER_BYTES + IV_BYTES, HEADER_BYTES + IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.concat([header, Buffer.from(label, 'utf8')]));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(box.subarray(HEADER_BYTES + IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    throw new UnsealError('it failed authentication (truncated or modified)', 'tampered');
  }
}
