import type { Logger } from '../../log.js';
import type { KeychainClient } from './keychain.js';
import { APP_PARTITION, asCacheJson, partitionLabel, type CacheJson } from './partitions.js';
import { corruptSuffix, type Notices, type PartitionStore } from './store.js';

const PREFIX = 'token-cache';
const INDEX = `${PREFIX}-index`;
const CHUNKED = /^chunked:(\d+);/;

/** The entry that holds a partition: `token-cache:<homeAccountId>`, or `token-cache-app`. */
function keychainAccount(partitionId: string): string {
  return partitionId === APP_PARTITION ? `${PREFIX}-app` : `${PREFIX}:${partitionId}`;
}

/**
 * One keychain entry per partition plus an index entry listing them. A partition larger than the
 * keychain's value limit is split into `<entry>#2…#n`, the first piece naming the count.
 * The index is updated before a new entry is written and after an entry is deleted, so a crash
 * can leave a listed-but-missing entry (skipped on read), never an unlisted one.
 */
export class KeychainStore implements PartitionStore {
  constructor(
    private readonly keychain: KeychainClient,
    private readonly notices: Notices,
    private readonly log: Logger,
  ) {}

  async readAll(): Promise<Map<string, CacheJson>> {
    const partitions = new Map<string, CacheJson>();
    for (const id of await this.readIndex()) {
      const account = keychainAccount(id);
      const raw = await this.readValue(account);
      if (raw === undefined) continue;
      try {
        partitions.set(id, asCacheJson(JSON.parse(raw)));
      } catch {
        await this.moveAside(account, raw, id, 'it is not valid JSON');
      }
    }
    return partitions;
  }

  async write(partitionId: string, partition: CacheJson): Promise<void> {
    const index = await this.readIndex();
    if (!index.includes(partitionId)) await this.writeIndex([...index, partitionId]);
    await this.writeValue(keychainAccount(partitionId), JSON.stringify(partition));
  }

  async remove(partitionId: string): Promise<void> {
    await this.deleteValue(keychainAccount(partitionId));
    const index = await this.readIndex();
    if (index.includes(partitionId)) await this.writeIndex(index.filter((id) => id !== partitionId));
  }

  async quarantine(partitionId: string, problem: string): Promise<void> {
    const account = keychainAccount(partitionId);
    const raw = await this.readValue(account);
    if (raw !== undefined) await this.moveAside(account, raw, partitionId, problem);
    const index = await this.readIndex();
    if (index.includes(partitionId)) await this.writeIndex(index.filter((id) => id !== partitionId));
  }

  async clear(): Promise<void> {
    for (const account of await this.keychain.accounts()) {
      if (account.startsWith(PREFIX)) await this.keychain.delete(account);
    }
  }

  private async readIndex(): Promise<string[]> {
    const raw = await this.keychain.get(INDEX);
    if (raw === null) return [];
    try {
      const ids: unknown = JSON.parse(raw);
      if (Array.isArray(ids) && ids.every((id) => typeof id === 'string')) return ids as string[];
    } catch {
      // rebuilt below
    }
    const ids = await this.listedPartitions();
    this.log.warn('token cache index in the keychain was unreadable; rebuilt it from the entries', { service: this.keychain.service, partitions: ids.length });
    await this.writeIndex(ids);
    return ids;
  }

  private async listedPartitions(): Promise<string[]> {
    const ids: string[] = [];
    for (const account of await this.keychain.accounts()) {
      if (account === keychainAccount(APP_PARTITION)) ids.push(APP_PARTITION);
      else if (account.startsWith(`${PREFIX}:`) && !/#\d+$|\.corrupt-/.test(account)) ids.push(account.slice(PREFIX.length + 1));
    }
    return ids;
  }

  private writeIndex(ids: string[]): Promise<void> {
    return this.keychain.set(INDEX, JSON.stringify(ids));
  }

  private async readValue(account: string): Promise<string | undefined> {
    const first = await this.keychain.get(account);
    if (first === null) return undefined;
    const header = CHUNKED.exec(first);
    if (!header) return first;
    const pieces = [first.slice(header[0].length)];
    for (let n = 2; n <= Number(header[1]); n++) {
      const piece = await this.keychain.get(`${account}#${n}`);
      if (piece === null) return first; // torn: parsing fails and the entry is moved aside
      pieces.push(piece);
    }
    return pieces.join('');
  }

  private async writeValue(account: string, value: string): Promise<void> {
    const size = this.keychain.maxValueChars;
    const previous = await this.keychain.get(account);
    const previousCount = Number((previous && CHUNKED.exec(previous)?.[1]) ?? 1);
    if (value.length <= size) {
      await this.keychain.set(account, value);
      await this.deleteChunks(account, 2, previousCount);
      return;
    }
    const pieces: string[] = [];
    for (let at = 0; at < value.length; at += size) pieces.push(value.slice(at, at + size));
    // The tail first, so the header never names pieces that are not there yet.
    for (let n = pieces.length; n >= 2; n--) await this.keychain.set(`${account}#${n}`, pieces[n - 1]!);
    await this.keychain.set(account, `chunked:${pieces.length};${pieces[0]!}`);
    await this.deleteChunks(account, pieces.length + 1, previousCount);
  }

  private async deleteValue(account: string): Promise<void> {
    const previous = await this.keychain.get(account);
    const count = Number((previous && CHUNKED.exec(previous)?.[1]) ?? 1);
    await this.keychain.delete(account);
    await this.deleteChunks(account, 2, count);
  }

  private async deleteChunks(account: string, from: number, to: number): Promise<void> {
    for (let n = from; n <= to; n++) await this.keychain.delete(`${account}#${n}`);
  }

  /** Kept under a `.corrupt-<time>` entry for inspection, never silently dropped. */
  private async moveAside(account: string, raw: string, partitionId: string, problem: string): Promise<void> {
    const suffix = corruptSuffix();
    await this.writeValue(`${account}${suffix}`, raw);
    await this.deleteValue(account);
    const partition = partitionLabel(partitionId);
    this.log.warn('token cache entry in the keychain is unreadable; kept it aside and started that partition afresh', {
      service: this.keychain.service,
      problem,
      partition,
      keptAs: `…${suffix}`,
    });
    this.notices.add(
      `A token cache entry in the keychain (service ${this.keychain.service}, partition ${partition}) was unreadable (${problem}); ` +
        `it was kept under a name ending in "${suffix}" and that partition starts empty: sign in again with \`m365-copilot-mcp login\` if asked.`,
    );
  }
}
