import type { EmuDocument, EmuLabel, EmuReaders, EmuSite, EmuUser } from '../model.js';
import { ANCHORS, type AnchorSpec } from './anchors.js';
import { userByName, type SiteKey } from './org.js';
import type { Rng } from './prng.js';
import { fillTemplate } from './text.js';
import { PERSONAL_TOPIC, TOPICS, type Topic } from './topics.js';

const DAY = 86_400_000;

/** Which department mostly writes for a site. */
const SITE_DEPARTMENT: Record<SiteKey, string> = {
  HR: 'Human Resources',
  IT: 'IT',
  Finance: 'Finance',
  Marketing: 'Marketing',
  Legal: 'Legal',
  Product: 'Product',
};

/** Label weights by site, indexed by label priority (General … Highly Confidential). */
const LABEL_WEIGHTS: Record<SiteKey, readonly number[]> = {
  HR: [1, 4, 4, 1],
  IT: [4, 5, 1, 0],
  Finance: [0, 1, 5, 4],
  Marketing: [5, 4, 1, 0],
  Legal: [0, 1, 4, 5],
  Product: [2, 5, 3, 0],
};

const TITLE_DECOR = ['', '', '', ' v2', ' v3', ' - EMEA', ' - North America', ' (Draft)', ' - Archive', ' Q1', ' Q2', ' Q3', ' Q4'];

/** Site documents are 30 % more than the topic counts, so the corpus passes 300 with OneDrives. */
const SITE_DOC_FACTOR = 1.3;

export interface DocumentContext {
  users: readonly EmuUser[];
  labels: readonly EmuLabel[];
  sites: readonly EmuSite[];
  now: number;
}

/** The ids of the hand-written documents, for facts.ts. */
export type AnchorIds = Record<AnchorSpec['key'], string>;

export function generateDocuments(rng: Rng, anchorRng: Rng, ctx: DocumentContext): { documents: EmuDocument[]; anchors: AnchorIds } {
  const documents: EmuDocument[] = [];
  const anchors = {} as AnchorIds;
  const usedUrls = new Set<string>();

  for (const spec of ANCHORS) {
    const doc = anchorDocument(anchorRng, spec, ctx);
    usedUrls.add(doc.webUrl.toLowerCase());
    anchors[spec.key] = doc.id;
    documents.push(doc);
  }
  for (const topic of TOPICS) {
    const site = teamSite(ctx.sites, topic.site);
    const count = Math.round(topic.count * SITE_DOC_FACTOR);
    for (let i = 0; i < count; i++) documents.push(siteDocument(rng, topic, site, ctx, usedUrls));
  }
  for (const owner of ctx.users) {
    const count = rng.int(8, 12);
    for (let i = 0; i < count; i++) documents.push(oneDriveDocument(rng, owner, ctx, usedUrls));
  }
  return { documents, anchors };
}

export function teamSite(sites: readonly EmuSite[], key: SiteKey): EmuSite {
  const site = sites.find((s) => s.ownerId === undefined && s.name === key);
  if (!site) throw new Error(`generator: no site ${key}`);
  return site;
}

function personalSite(sites: readonly EmuSite[], ownerId: string): EmuSite {
  const site = sites.find((s) => s.ownerId === ownerId);
  if (!site) throw new Error(`generator: no OneDrive for ${ownerId}`);
  return site;
}

function siteDocument(rng: Rng, topic: Topic, site: EmuSite, ctx: DocumentContext, usedUrls: Set<string>): EmuDocument {
  const siteReaders = readersOf(site.readers, ctx.users);
  const department = SITE_DEPARTMENT[topic.site];
  const writers = siteReaders.filter((u) => u.department === department);
  const author = writers.length > 0 && rng.chance(0.7) ? rng.pick(writers) : rng.pick(siteReaders);
  const modifiedBy = rng.chance(0.6) ? author : rng.pick(siteReaders);

  // A few documents are narrower than their site: the author and one or two colleagues.
  const restricted = rng.chance(0.1);
  let readers: EmuReaders = site.readers;
  if (restricted) {
    const others = rng.sample(siteReaders.filter((u) => u.id !== author.id), rng.int(1, 2));
    readers = [author.id, ...others.map((u) => u.id)];
  }

  const weights = LABEL_WEIGHTS[topic.site];
  let labelIndex: number | undefined = rng.chance(0.88)
    ? rng.weighted(weights.map((w, i) => [i, w] as const))
    : undefined;
  if (restricted) labelIndex = rng.chance(0.5) ? 2 : 3;

  const extension = rng.pick(topic.extensions);
  const title = fillTemplate(rng.pick(topic.titles), rng) + rng.pick(TITLE_DECOR);
  const folderUrl = extension === 'aspx' ? `${site.webUrl}/SitePages/` : `${site.webUrl}/Shared%20Documents/${encodeURIComponent(topic.folder)}/`;
  const filename = uniqueFilename(title, extension, folderUrl, usedUrls);

  return documentRecord(rng, ctx, {
    source: 'sharePoint',
    siteId: site.id,
    folderUrl,
    title,
    filename,
    extension,
    author: author.displayName,
    modifiedBy: modifiedBy.displayName,
    labelIndex,
    readers,
    sentences: topic.sentences,
  });
}

function oneDriveDocument(rng: Rng, owner: EmuUser, ctx: DocumentContext, usedUrls: Set<string>): EmuDocument {
  const site = personalSite(ctx.sites, owner.id);
  const work = rng.chance(0.5);
  const topic = work ? rng.pick(TOPICS) : PERSONAL_TOPIC;
  const baseTitle = fillTemplate(rng.pick(topic.titles), rng);
  const title = work ? rng.pick([`Draft - ${baseTitle}`, `${baseTitle} (my copy)`, `${baseTitle} notes`]) : baseTitle + rng.pick(TITLE_DECOR);
  const extension = rng.pick(topic.extensions.filter((e) => e !== 'aspx').concat('docx'));
  const folder = rng.pick(['Documents', 'Documents', 'Documents/Work', 'Documents/Notes']);
  const folderUrl = `${site.webUrl}/${folder.split('/').map(encodeURIComponent).join('/')}/`;
  const filename = uniqueFilename(title, extension, folderUrl, usedUrls);

  const colleagues = ctx.users.filter((u) => u.id !== owner.id);
  const sharedWith = rng.chance(0.25) ? rng.sample(colleagues, rng.int(1, 2)) : [];
  const modifiedBy = sharedWith.length > 0 && rng.chance(0.3) ? rng.pick(sharedWith) : owner;
  const labelIndex = rng.chance(0.75) ? rng.weighted([[0, 3], [1, 4], [2, 2], [3, 1]] as const) : undefined;

  return documentRecord(rng, ctx, {
    source: 'oneDriveBusiness',
    siteId: site.id,
    ownerId: owner.id,
    folderUrl,
    title,
    filename,
    extension,
    author: owner.displayName,
    modifiedBy: modifiedBy.displayName,
    labelIndex,
    readers: [owner.id, ...sharedWith.map((u) => u.id)],
    sentences: topic.sentences,
  });
}

interface DocumentParts {
  source: EmuDocument['source'];
  siteId: string;
  ownerId?: string;
  folderUrl: string;
  title: string;
  filename: string;
  extension: string;
  author: string;
  modifiedBy: string;
  labelIndex: number | undefined;
  readers: EmuReaders;
  sentences: Parameters<typeof makeChunks>[1];
}

/** The record both kinds of document share; random draws happen in one fixed order (id, times, chunks). */
function documentRecord(rng: Rng, ctx: DocumentContext, p: DocumentParts): EmuDocument {
  return {
    id: rng.guid(),
    source: p.source,
    siteId: p.siteId,
    ...(p.ownerId ? { ownerId: p.ownerId } : {}),
    webUrl: p.folderUrl + encodeURIComponent(p.filename),
    path: p.folderUrl,
    title: p.title,
    filename: p.filename,
    fileExtension: p.extension,
    fileType: p.extension,
    author: p.author,
    modifiedBy: p.modifiedBy,
    ...times(rng, ctx.now),
    ...(p.labelIndex === undefined ? {} : { labelId: labelAt(ctx.labels, p.labelIndex).id }),
    readers: p.readers,
    chunks: makeChunks(rng, p.sentences),
  };
}

function anchorDocument(rng: Rng, spec: AnchorSpec, ctx: DocumentContext): EmuDocument {
  const author = userByName(ctx.users, spec.author);
  const filename = `${spec.title}.${spec.extension}`;
  const base = {
    id: rng.guid(),
    title: spec.title,
    filename,
    fileExtension: spec.extension,
    fileType: spec.extension,
    author: author.displayName,
    modifiedBy: userByName(ctx.users, spec.modifiedBy).displayName,
    createdTime: new Date(ctx.now - spec.createdDaysAgo * DAY).toISOString(),
    lastModifiedTime: new Date(ctx.now - spec.modifiedDaysAgo * DAY).toISOString(),
    labelId: labelAt(ctx.labels, spec.label).id,
    chunks: spec.chunks,
  };
  if (spec.owner !== undefined) {
    const owner = userByName(ctx.users, spec.owner);
    const site = personalSite(ctx.sites, owner.id);
    const folderUrl = `${site.webUrl}/${encodeURIComponent(spec.folder)}/`;
    const shared = (spec.sharedWith ?? []).map((name) => userByName(ctx.users, name).id);
    return { ...base, source: 'oneDriveBusiness', siteId: site.id, ownerId: owner.id, webUrl: folderUrl + encodeURIComponent(filename), path: folderUrl, readers: [owner.id, ...shared] };
  }
  if (spec.site === undefined) throw new Error(`generator: anchor ${spec.key} has neither site nor owner`);
  const site = teamSite(ctx.sites, spec.site);
  const folderUrl = `${site.webUrl}/Shared%20Documents/${encodeURIComponent(spec.folder)}/`;
  return { ...base, source: 'sharePoint', siteId: site.id, webUrl: folderUrl + encodeURIComponent(filename), path: folderUrl, readers: site.readers };
}

/** Splits a shuffled subset of the topic's sentences into 3–8 passages of 1–3 sentences. */
function makeChunks(rng: Rng, sentences: readonly string[]): string[] {
  const pool = rng.shuffled(sentences);
  const chunkCount = Math.min(rng.int(3, 8), pool.length);
  const sentenceCount = Math.min(pool.length, rng.int(chunkCount, chunkCount * 3));
  const sizes = new Array<number>(chunkCount).fill(1);
  for (let extra = sentenceCount - chunkCount; extra > 0; ) {
    const i = rng.int(0, chunkCount - 1);
    if ((sizes[i] as number) < 3) {
      sizes[i] = (sizes[i] as number) + 1;
      extra--;
    }
  }
  const chunks: string[] = [];
  let cursor = 0;
  for (const size of sizes) {
    chunks.push(pool.slice(cursor, cursor + size).map((s) => fillTemplate(s, rng)).join(' '));
    cursor += size;
  }
  return chunks;
}

function times(rng: Rng, now: number): { createdTime: string; lastModifiedTime: string } {
  const created = now - rng.int(5 * 60, 730 * 24 * 60) * 60_000;
  const modified = created + Math.floor(rng.next() * (now - created - 60_000));
  return { createdTime: new Date(created).toISOString(), lastModifiedTime: new Date(modified).toISOString() };
}

function uniqueFilename(title: string, extension: string, folderUrl: string, used: Set<string>): string {
  const base = extension === 'aspx' ? title.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '') : title.replace(/[\\/:*?"<>|]/g, '-');
  for (let n = 1; ; n++) {
    const filename = n === 1 ? `${base}.${extension}` : `${base} (${n}).${extension}`;
    const url = (folderUrl + encodeURIComponent(filename)).toLowerCase();
    if (!used.has(url)) {
      used.add(url);
      return filename;
    }
  }
}

function readersOf(readers: EmuReaders, users: readonly EmuUser[]): EmuUser[] {
  return readers === 'everyone' ? users.slice() : users.filter((u) => readers.includes(u.id));
}

function labelAt(labels: readonly EmuLabel[], index: number): EmuLabel {
  const label = labels[index];
  if (!label) throw new Error(`generator: no label ${index}`);
  return label;
}
