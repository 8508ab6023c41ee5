import type { EmuDocument, EmuExternalItem, Tenant } from '../model.js';
import { Bm25Index } from './bm25.js';
import { tokenize } from './tokenize.js';

/** A BM25 index over the passages of a list of items, remembering which item owns each passage. */
export interface Corpus<T> {
  items: readonly T[];
  index: Bm25Index;
  /** Passage index → item index. */
  owner: Int32Array;
  /** Passage index → chunk index within its item. */
  chunk: Int32Array;
}

export interface TenantCorpora {
  documents: Corpus<EmuDocument>;
  externalItems: Corpus<EmuExternalItem>;
}

const cache = new WeakMap<Tenant, TenantCorpora>();

/** Built on first use and kept for the tenant's lifetime: the tenant's content never changes. */
export function tenantCorpora(tenant: Tenant): TenantCorpora {
  let corpora = cache.get(tenant);
  if (!corpora) {
    corpora = {
      documents: buildCorpus(tenant.documents, (d) => d.title),
      externalItems: buildCorpus(tenant.externalItems, (i) => i.properties['title'] ?? ''),
    };
    cache.set(tenant, corpora);
  }
  return corpora;
}

/** Each passage is indexed together with its item's title, as a search engine weighs titles. */
function buildCorpus<T extends { chunks: string[] }>(items: readonly T[], title: (item: T) => string): Corpus<T> {
  const passages: string[][] = [];
  const owner: number[] = [];
  const chunk: number[] = [];
  items.forEach((item, itemIndex) => {
    const titleTerms = tokenize(title(item));
    item.chunks.forEach((text, chunkIndex) => {
      passages.push([...titleTerms, ...tokenize(text)]);
      owner.push(itemIndex);
      chunk.push(chunkIndex);
    });
  });
  return { items, index: new Bm25Index(passages), owner: Int32Array.from(owner), chunk: Int32Array.from(chunk) };
}
