import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../log.js';
import { asCacheJson, partitionLabel, type CacheJson } from './partitions.js';
import { isNotFound, writeFileAtomic } from './privateFiles.js';
import { seal, unseal, UnsealError } from './sealedBox.js';
import { corruptSuffix, type Notices, type PartitionStore } from './store.js';

const PARTITION_FILE = /^tokens-(app|[0-9a-f]{32})\.enc$/;
const LEFTOVER = /^(tokens-.*\.corrupt-.*|\.tokens-.*\.tmp)$/;
const STALE_TEMP_MS = 60_000;

interface Payload {
  v: 1;
  /** The home account id lives only here, inside the encryption. */
  partition: string;
  cache: CacheJson;
}

function partitionFile(partitionId: string): string {
  return `tokens-${partitionLabel(partitionId)}.enc`;
}

/** One AES-256-GCM file per partition, named by a hash of the home account id. */
export class EncryptedFileStore implements PartitionStore {
  constructor(
    private readonly dir: string,
    private readonly key: Buffer,
    private readonly notices: Notices,
    private readonly log: Logger,
  ) {}

  async readAll(): Promise<Map<string, CacheJson>> {
    const partitions = new Map<string, CacheJson>();
    for (const name of await readdir(this.dir)) {
      const match = PARTITION_FILE.exec(name);
      if (!match) {
        if (name.startsWith('.tokens-') && name.endsWith('.tmp')) await this.removeStaleTemp(name);
        continue;
      }
      const path = join(this.dir, name);
      let box: Buffer;
      try {
        box = await readFile(path);
      } catch (err) {
        if (isNotFound(err)) continue;
        throw err;
      }
      const opened = this.open(box, match[1]!);
      if ('problem' in opened) await this.moveAside(path, opened.problem);
      else partitions.set(opened.partition, opened.cache);
    }
    return partitions;
  }

  async write(partitionId: string, cache: CacheJson): Promise<void> {
    const payload: Payload = { v: 1, partition: partitionId, cache };
    const label = partitionLabel(partitionId);
    await writeFileAtomic(join(this.dir, partitionFile(partitionId)), seal(this.key, label, Buffer.from(JSON.stringify(payload), 'utf8')));
  }

  async remove(partitionId: string): Promise<void> {
    await rm(join(this.dir, partitionFile(partitionId)), { force: true });
  }

  async quarantine(partitionId: string, problem: string): Promise<void> {
    const path = join(this.dir, partitionFile(partitionId));
    try {
      await this.moveAside(path, problem);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Also removes files kept aside: they may still hold tokens, and "sign out everywhere" means all of them. */
  async clear(): Promise<void> {
    for (const name of await readdir(this.dir)) {
      if (PARTITION_FILE.test(name) || LEFTOVER.test(name)) await rm(join(this.dir, name), { force: true });
    }
  }

  private open(box: Buffer, label: string): Payload | { problem: string } {
    try {
      const payload = JSON.parse(unseal(this.key, label, box).toString('utf8')) as Partial<Payload>;
      if (payload.v === 1 && typeof payload.partition === 'string' && partitionLabel(payload.partition) === label) {
        return { v: 1, partition: payload.partition, cache: asCacheJson(payload.cache) };
      }
      return { problem: 'its content does not match its name' };
    } catch (err) {
      return { problem: err instanceof UnsealError ? err.message : 'its content is not valid JSON' };
    }
  }

  /** Kept for inspection (and recovery with the right key), never silently deleted. */
  private async moveAside(path: string, problem: string): Promise<void> {
    const aside = `${path}${corruptSuffix()}`;
    await rename(path, aside);
    this.log.warn('token cache file is unreadable; moved it aside and started that partition afresh', { file: path, problem, movedTo: aside });
    this.notices.add(
      `The token cache file ${path} could not be read: ${problem}. It was moved to ${aside} ` +
        'and that account starts with an empty cache: sign in again with `m365-copilot-mcp login` if asked.',
    );
  }

  private async removeStaleTemp(name: string): Promise<void> {
    const path = join(this.dir, name);
    try {
      if (Date.now() - (await stat(path)).mtimeMs > STALE_TEMP_MS) await rm(path, { force: true });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
