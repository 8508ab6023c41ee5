import { createHash, randomBytes, randomInt } from 'node:crypto';

/** Opaque credentials (device codes, refresh tokens) are stored only as this hash. */
export function hashSecret(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function opaqueSecret(prefix: string, bytes = 48): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}

// No vowels (no accidental words) and no look-alikes such as 0/O or 1/I.
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';

export function newUserCode(): string {
  let code = '';
  for (let i = 0; i < 8; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** Users type codes loosely: case and separators do not matter. */
export function normalizeUserCode(input: string): string {
  const plain = input.toUpperCase().replace(/[^A-Z0-9]/g, '');
  return plain.length === 8 ? `${plain.slice(0, 4)}-${plain.slice(4)}` : plain;
}
