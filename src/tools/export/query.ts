import { APP_CLASSES, type AppName } from '../appClasses.js';
import { buildFilter, completeWindow } from './shape.js';
import { normaliseUserRef } from './users.js';

/**
 * The export as the caller asked for it, in one canonical spelling. Cursors are bound to `asked`
 * (not to the completed window: a one-sided window ends "now", which moves between calls).
 */
export interface ExportQuery {
  /** User references as given (GUID or UPN, trimmed), in the order given, each once. */
  userRefs: string[];
  /** Users lower-cased and sorted: the same set asked in another order or case is the same export. */
  asked: { users: string[]; appClass: AppName[] | null; since: string | null; until: string | null };
  /** JSON of `asked` without the users: what a page-mode cursor is bound to besides its one user. */
  fingerprint: string;
  window: { since: string; until: string } | undefined;
  filter: string | undefined;
}

export function exportQuery(args: { userId?: string | undefined; userIds?: string[] | undefined; appClass?: AppName[] | undefined; since?: string | undefined; until?: string | undefined }): ExportQuery {
  const userRefs: string[] = [];
  const seen = new Set<string>();
  for (const ref of args.userIds ?? (args.userId ? [args.userId] : [])) {
    const key = normaliseUserRef(ref);
    if (!seen.has(key)) userRefs.push(ref.trim());
    seen.add(key);
  }
  const appClass = args.appClass ? [...new Set(args.appClass)].sort() : null;
  const asked = { users: [...seen].sort(), appClass, since: args.since ?? null, until: args.until ?? null };
  const window = completeWindow(args.since, args.until);
  return {
    userRefs,
    asked,
    fingerprint: JSON.stringify([appClass, asked.since, asked.until]),
    window,
    filter: buildFilter(args.appClass?.map((a) => APP_CLASSES[a]), window),
  };
}
