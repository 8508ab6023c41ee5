import type { EmuDocument, EmuExternalItem, EmuReaders, EmuSite } from '../model.js';

export function readersInclude(readers: EmuReaders, userId: string): boolean {
  return readers === 'everyone' || readers.includes(userId);
}

/**
 * Team-site files need both the site and the file to admit the user. OneDrive files are governed
 * by the file alone (owner plus the people it was shared with), never by the personal site.
 */
export function canReadDocument(sitesById: ReadonlyMap<string, EmuSite>, userId: string, doc: EmuDocument): boolean {
  if (!readersInclude(doc.readers, userId)) return false;
  if (doc.source === 'oneDriveBusiness') return true;
  const site = sitesById.get(doc.siteId);
  return site !== undefined && readersInclude(site.readers, userId);
}

export function canReadExternalItem(userId: string, item: EmuExternalItem): boolean {
  return readersInclude(item.readers, userId);
}
