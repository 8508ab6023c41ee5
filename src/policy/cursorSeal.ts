import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.js';

/**
 * Cursors a tool hands to the model come back as arguments: a model (or whoever injected its
 * prompt) may edit them. Each is sealed with an HMAC bound to its purpose and to the caller it was
 * issued to, so an edited cursor, or one replayed by another user, is refused before it is used.
 */
export interface CursorSeal {
  seal(purpose: string, caller: string, payload: unknown): Promise<string>;
  /** The payload, or InvalidArgument naming what to do. */
  open(purpose: string, caller: string, cursor: string): Promise<unknown>;
}

const VERSION = 'c1';

/**
 * The key several instances share (HTTP with Redis: the Redis encryption key every instance holds),
 * so a cursor from one is good on another; derived, never the secret itself.
 */
export function derivedCursorKey(sharedSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(sharedSecret, 'utf8'), Buffer.alloc(0), 'm365-copilot-mcp cursor seal', 32));
}

/** A key for this process alone: its cursors die with it. */
export function processCursorKey(): Buffer {
  return randomBytes(32);
}

/** `key`: read once, when the first cursor is sealed or opened (a file in the state directory, for stdio). */
export function cursorSeal(key: () => Promise<Buffer>): CursorSeal {
  let loaded: Promise<Buffer> | undefined;
  const mac = async (purpose: string, caller: string, body: string) =>
    createHmac('sha256', await (loaded ??= key()))
      .update(`${purpose}\n${caller}\n${body}`)
      .digest()
      .subarray(0, 16);
  return {
    async seal(purpose, caller, payload) {
      const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
      return `${VERSION}.${body}.${(await mac(purpose, caller, body)).toString('base64url')}`;
    },
    async open(purpose, caller, cursor) {
      const [version, body, tag] = cursor.split('.');
      const refused = () =>
        new AppError('InvalidArgument', 'cursor is not one this server issued to you (it was changed, is from another user, or from a server that has since restarted)', {
          nextStep: 'Pass the nextCursor value exactly as the previous answer gave it, or drop the cursor to start over.',
        });
      if (version !== VERSION || !body || !tag) throw refused();
      const expected = await mac(purpose, caller, body);
      const given = Buffer.from(tag, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw refused();
      try {
        return JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      } catch {
        throw refused();
      }
    },
  };
}
