import type { EmuDocument, EmuExternalItem } from '../model.js';

/**
 * Property values of a SharePoint/OneDrive file by lowercase name, for KQL and for
 * `resourceMetadata`. `path` is the file's full URL, like SharePoint's Path managed property, so
 * a Path filter on a folder matches every file under it.
 */
export function documentProperty(doc: EmuDocument, name: string): string | undefined {
  switch (name) {
    case 'title':
      return doc.title;
    case 'author':
      return doc.author;
    case 'filename':
      return doc.filename;
    case 'fileextension':
      return doc.fileExtension;
    case 'filetype':
      return doc.fileType;
    case 'lastmodifiedtime':
      return doc.lastModifiedTime;
    case 'createdtime':
      return doc.createdTime;
    case 'modifiedby':
      return doc.modifiedBy;
    case 'path':
      return doc.webUrl;
    case 'siteid':
      return doc.siteId;
    case 'informationprotectionlabelid':
      return doc.labelId;
    default:
      return undefined;
  }
}

/** Connector item properties, matched case-insensitively (the schema's names vary in case). */
export function externalItemProperty(item: EmuExternalItem, name: string): string | undefined {
  const direct = item.properties[name];
  if (direct !== undefined) return direct;
  for (const [key, value] of Object.entries(item.properties)) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}
