import type { GenerateOptions, Tenant } from '../model.js';
import { generateApps } from './apps.js';
import { generateConnector } from './connector.js';
import { generateDocuments, type AnchorIds } from './documents.js';
import { generateInteractions } from './interactions.js';
import { generateMeetings } from './meetings.js';
import { DOMAIN, SP_HOST, generateLabels, generateSites, generateUsers } from './org.js';
import { createRng } from './prng.js';

const anchorIds = new WeakMap<Tenant, AnchorIds>();

/**
 * The emulated tenant: same seed → same ids, names and texts; timestamps are placed relative to
 * `now` so the data always looks recent. Each part uses its own random stream.
 */
export function generateTenant(opts: GenerateOptions = {}): Tenant {
  const seed = opts.seed ?? 1;
  const scale = opts.scale ?? 1;
  if (!Number.isFinite(scale) || scale < 0) throw new RangeError(`scale must be a non-negative number, got ${scale}`);
  const now = (opts.now ?? new Date(Math.floor(Date.now() / 60_000) * 60_000)).getTime();
  if (!Number.isFinite(now)) throw new RangeError('now must be a valid date');

  const tenantId = createRng(seed, 'tenant').guid();
  const { users, locales } = generateUsers(createRng(seed, 'users'));
  const demoUser = users[0];
  if (!demoUser) throw new Error('generator: no users');
  const labels = generateLabels(createRng(seed, 'labels'));
  const sites = generateSites(createRng(seed, 'sites'), users);
  const { documents, anchors } = generateDocuments(createRng(seed, 'documents'), createRng(seed, 'anchors'), { users, labels, sites, now });
  const { connections, externalItems } = generateConnector(createRng(seed, 'connector'), users);
  const meetings = generateMeetings(createRng(seed, 'meetings'), { users, demoUser, tenantId, now });
  const interactions = generateInteractions(seed, { users, locales, demoUser, documents, sites, meetings, now, scale });

  const tenant: Tenant = {
    id: tenantId,
    domain: DOMAIN,
    spHost: SP_HOST,
    now: new Date(now).toISOString(),
    users,
    labels,
    sites,
    documents,
    connections,
    externalItems,
    meetings,
    interactions,
    apps: generateApps(createRng(seed, 'apps')),
    demoUserUpn: demoUser.upn,
  };
  anchorIds.set(tenant, anchors);
  return tenant;
}

/** Ids of the hand-written documents (facts.ts); undefined for a tenant not made here. */
export function anchorDocumentIds(tenant: Tenant): AnchorIds | undefined {
  return anchorIds.get(tenant);
}
