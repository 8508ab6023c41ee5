import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AUDIT_QUERY_TEXT_MODES } from '../config/schema.js';

/** How free text the user or model typed (queries, KQL filters, join links) appears in the audit log. */
export type AuditTextMode = (typeof AUDIT_QUERY_TEXT_MODES)[number];

export type TextRenderer = (text: string) => string | undefined;

/**
 * `hash` is HMAC-SHA256 under a random per-installation key (a file in the state directory, 0600):
 * equal queries get equal hashes, so repeats and a known query can be recognised by whoever holds
 * the key, while the log alone reveals nothing and cannot be reversed with a precomputed table.
 */
export function textRenderer(mode: AuditTextMode, key: Buffer | undefined): TextRenderer {
  if (mode === 'full') return (text) => text;
  if (mode === 'omit' || !key) return () => undefined;
  // A KeyObject made once: creating the HMAC from raw key bytes imported them again on every call.
  const secret = createSecretKey(key);
  return (text) => `hmac-sha256:${createHmac('sha256', secret).update(text, 'utf8').digest('hex')}`;
}

const KEY_BYTES = 32;

/** Reads the key, creating it on first use; two processes racing both end up with the winner's key. */
export async function loadOrCreateHashKey(path: string): Promise<Buffer> {
  const existing = await readKey(path);
  if (existing) return existing;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    const handle = await open(path, 'wx', 0o600);
    try {
      await handle.writeFile(randomBytes(KEY_BYTES).toString('hex'));
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const key = await readKey(path);
  if (!key) throw new Error(`the audit hash key ${path} is not ${KEY_BYTES} hex-encoded bytes`);
  return key;
}

async function readKey(path: string): Promise<Buffer | undefined> {
  let text: string;
  try {
    text = (await readFile(path, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  // Another process may be between creating and filling the file.
  for (let i = 0; i < 20 && text.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 25));
    text = (await readFile(path, 'utf8')).trim();
  }
  return /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : undefined;
}
