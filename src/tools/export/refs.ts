import * as z from 'zod';
import { APP_NAMES } from '../appClasses.js';
import { ONE_SIDED_WINDOW_DAYS } from './shape.js';
import { GUID, UPN } from './users.js';

/** Argument schemas the export tool shares with the prompts and resources that lead to it. */

export const isoInstant = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(s) && !Number.isNaN(Date.parse(s)), {
    message: 'must be an ISO 8601 date or date-time, e.g. 2026-11-01 or 2026-11-01T09:00:00Z',
  });

/**
 * Entra limits a userPrincipalName to 113 characters (64 before the @, 48 after); an object id has 36.
 * Bounded before the pattern runs, so a huge value costs nothing (learn.microsoft.com, "User
 * principal name" limits in Microsoft Entra ID).
 */
export const MAX_UPN_LENGTH = 113;

export const userRef = z
  .string()
  .trim()
  .max(MAX_UPN_LENGTH, { message: `must be at most ${MAX_UPN_LENGTH} characters (the longest user principal name Entra allows)`, abort: true })
  .refine((s) => GUID.test(s) || UPN.test(s), { message: 'must be an Entra object id (GUID) or a user principal name (name@domain)' });

/** The export's filters, shared by page mode and file mode. */
export const exportFilterFields = {
  appClass: z.array(z.enum(APP_NAMES)).min(1).max(APP_NAMES.length).optional().describe('Only these Copilot apps.'),
  since: isoInstant.optional().describe('Start of the time window (ISO 8601). Alone, the window runs to now.'),
  until: isoInstant.optional().describe(`End of the time window (ISO 8601). Alone, the window starts ${ONE_SIDED_WINDOW_DAYS} days earlier.`),
};

export function checkWindow(a: { since?: string | undefined; until?: string | undefined }, ctx: z.RefinementCtx): void {
  if (a.since && a.until && Date.parse(a.since) >= Date.parse(a.until)) ctx.addIssue({ code: 'custom', path: ['until'], message: 'until must be later than since' });
}
