import * as z from 'zod';
import { GUID, UPN } from './users.js';

/** Argument schemas the export tool shares with the prompts and resources that lead to it. */

export const isoInstant = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(s) && !Number.isNaN(Date.parse(s)), {
    message: 'must be an ISO 8601 date or date-time, e.g. 2026-11-01 or 2026-11-01T09:00:00Z',
  });

export const userRef = z
  .string()
  .trim()
  .refine((s) => GUID.test(s) || UPN.test(s), { message: 'must be an Entra object id (GUID) or a user principal name (name@domain)' });
