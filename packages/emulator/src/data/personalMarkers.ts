import type { EmuDocument, EmuLabel, EmuSite, EmuUser } from '../model.js';
import type { Rng } from './prng.js';

/**
 * With more than the named ten users (`users: N`), each user gets one OneDrive file only they can
 * read, named by a code name no other text uses. A test of many concurrent users then knows, for
 * each user, a query whose top hit that user sees and nobody else does (facts.ts lists them).
 */
const COLOURS = [
  'Amber', 'Cobalt', 'Crimson', 'Saffron', 'Indigo', 'Teal', 'Ivory', 'Obsidian', 'Scarlet', 'Jade',
  'Copper', 'Azure', 'Violet', 'Onyx', 'Coral', 'Emerald', 'Garnet', 'Topaz', 'Ochre', 'Umber',
  'Cerulean', 'Magenta', 'Sepia', 'Cinnabar', 'Russet',
];
const ANIMALS = [
  'Falcon', 'Heron', 'Otter', 'Lynx', 'Badger', 'Marten', 'Osprey', 'Ibis', 'Kestrel', 'Puffin',
  'Walrus', 'Bison', 'Gecko', 'Tapir', 'Okapi', 'Quokka', 'Narwhal', 'Pelican', 'Condor', 'Jackal',
  'Wombat', 'Ermine', 'Caracal', 'Dingo', 'Gazelle', 'Hyena', 'Impala', 'Koala', 'Lemur', 'Mongoose',
  'Ocelot', 'Panda', 'Raven', 'Stoat', 'Toucan', 'Vole', 'Wolverine', 'Yak', 'Zebu', 'Egret',
];

const DAY = 86_400_000;

export interface PersonalMarker {
  userId: string;
  documentId: string;
  /** Finds the file as the top OneDrive hit for its owner. */
  query: string;
}

function codeName(index: number): string {
  return `${COLOURS[index % COLOURS.length]} ${ANIMALS[Math.floor(index / COLOURS.length) % ANIMALS.length]}`;
}

export function generatePersonalMarkers(
  rng: Rng,
  ctx: { users: readonly EmuUser[]; sites: readonly EmuSite[]; labels: readonly EmuLabel[]; now: number },
): { documents: EmuDocument[]; markers: PersonalMarker[] } {
  const documents: EmuDocument[] = [];
  const markers: PersonalMarker[] = [];
  const internal = ctx.labels.find((l) => l.priority === 1);
  ctx.users.forEach((user, index) => {
    const site = ctx.sites.find((s) => s.ownerId === user.id);
    if (site === undefined) throw new Error(`generator: no OneDrive for ${user.upn}`);
    const name = codeName(index);
    const title = `${name} personal objectives`;
    const filename = `${title}.docx`;
    const folderUrl = `${site.webUrl}/Documents/`;
    const created = ctx.now - rng.int(10, 120) * DAY;
    const document: EmuDocument = {
      id: rng.guid(),
      source: 'oneDriveBusiness',
      siteId: site.id,
      ownerId: user.id,
      webUrl: folderUrl + encodeURIComponent(filename),
      path: folderUrl,
      title,
      filename,
      fileExtension: 'docx',
      fileType: 'docx',
      author: user.displayName,
      modifiedBy: user.displayName,
      createdTime: new Date(created).toISOString(),
      lastModifiedTime: new Date(created + rng.int(1, 9) * DAY).toISOString(),
      ...(internal === undefined ? {} : { labelId: internal.id }),
      readers: [user.id],
      chunks: [
        `${name} is the private code name ${user.displayName} uses for personal objectives this year.`,
        `The ${name} objectives list three goals, each with a check-in at the end of every quarter.`,
        `These ${name} notes are kept in a personal OneDrive and are not shared with anyone.`,
      ],
    };
    documents.push(document);
    markers.push({ userId: user.id, documentId: document.id, query: `${name} personal objectives` });
  });
  return { documents, markers };
}
