import type { GenerateOptions, Tenant } from '../model.js';
import { generateApps } from './apps.js';
import { generateConnector } from './connector.js';
import { generateDocuments, type AnchorIds } from './documents.js';
import { generateExtraUsers, MAX_USERS } from './extraUsers.js';
import { generateInteractions } from './interactions.js';
import { generateMeetings } from './meetings.js';
import { DOMAIN, NAMED_USER_COUNT, SP_HOST, generateLabels, generateSites, generateUsers } from './org.js';
import { generatePersonalMarkers, type PersonalMarker } from './personalMarkers.js';
import { createRng } from './prng.js';
import { generateOtherTenant, generateServerApp } from './serverApp.js';

const anchorIds = new WeakMap<Tenant, AnchorIds>();
const personalMarkers = new WeakMap<Tenant, PersonalMarker[]>();

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

  const userCount = opts.users ?? NAMED_USER_COUNT;
  if (!Number.isInteger(userCount) || userCount < NAMED_USER_COUNT || userCount > MAX_USERS) {
    throw new RangeError(`users must be a whole number from ${NAMED_USER_COUNT} to ${MAX_USERS}, got ${userCount}`);
  }

  const tenantId = createRng(seed, 'tenant').guid();
  const { users, locales } = generateUsers(createRng(seed, 'users'));
  // Only when asked: the default tenant stays exactly what it always was.
  for (const extra of generateExtraUsers(createRng(seed, 'extraUsers'), userCount - users.length)) {
    users.push(extra.user);
    locales.set(extra.user.id, extra.locale);
  }
  const demoUser = users[0];
  if (!demoUser) throw new Error('generator: no users');
  const labels = generateLabels(createRng(seed, 'labels'));
  const sites = generateSites(createRng(seed, 'sites'), users);
  const { documents, anchors } = generateDocuments(createRng(seed, 'documents'), createRng(seed, 'anchors'), { users, labels, sites, now });
  const markers = userCount > NAMED_USER_COUNT ? generatePersonalMarkers(createRng(seed, 'personalMarkers'), { users, sites, labels, now }) : undefined;
  if (markers !== undefined) documents.push(...markers.documents);
  const { connections, externalItems } = generateConnector(createRng(seed, 'connector'), users);
  const meetings = generateMeetings(createRng(seed, 'meetings'), { users, demoUser, tenantId, now });
  const interactions = generateInteractions(seed, { users, locales, demoUser, documents, sites, meetings, now, scale });
  const apps = generateApps(createRng(seed, 'apps'));

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
    apps: {
      ...apps,
      mcpServer: generateServerApp(createRng(seed, 'mcpServer'), users, { publicClientId: apps.publicClient.clientId, demoUserUpn: demoUser.upn }),
    },
    otherTenant: generateOtherTenant(createRng(seed, 'otherTenant')),
    demoUserUpn: demoUser.upn,
  };
  anchorIds.set(tenant, anchors);
  if (markers !== undefined) personalMarkers.set(tenant, markers.markers);
  return tenant;
}

/** Each user's code-named private file, when the tenant has more than the named ten users (facts.ts). */
export function personalMarkerDocuments(tenant: Tenant): PersonalMarker[] | undefined {
  return personalMarkers.get(tenant);
}

/** Ids of the hand-written documents (facts.ts); undefined for a tenant not made here. */
export function anchorDocumentIds(tenant: Tenant): AnchorIds | undefined {
  return anchorIds.get(tenant);
}
