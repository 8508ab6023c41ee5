import type { ICachePlugin, TokenCacheContext } from '@azure/msal-node';
import type { Logger } from '../../log.js';
import type { CacheLock, LockHandle } from './lock.js';
import {
  canonicalPartition,
  isEmptyPartition,
  mergePartitions,
  parseCacheJson,
  partitionLabel,
  splitByPartition,
  threeWayMerge,
  type CacheJson,
} from './partitions.js';
import type { PartitionStore } from './store.js';

export interface CachePluginOptions {
  store: PartitionStore;
  lock: CacheLock;
  log: Logger;
  /** Release the lock if MSAL has not ended its cache access by then. */
  abandonAfterMs?: number;
}

/** One MSAL cache access: what was read under the lock, so the write-back can tell what changed. */
interface Access {
  /** MSAL's whole cache right after loading. */
  base: CacheJson;
  /** The store as read under the lock. */
  stored: Map<string, CacheJson>;
  lock: LockHandle;
  /** Set when the lock was released because MSAL never called afterCacheAccess in time. */
  abandoned: boolean;
  timer: NodeJS.Timeout;
}

/**
 * MSAL calls beforeCacheAccess and afterCacheAccess in pairs with the same context object. Before
 * takes the lock and loads every partition fresh (picking up a refresh token another process just
 * rotated); after writes back only the partitions whose content changed, then releases the lock.
 * MSAL does not always pair them (an exception between the two in the client-credential and
 * overwriteCache paths skips after), so a timer releases a lock MSAL abandoned; an after that comes
 * later re-takes the lock and merges its changes entry by entry into what is stored then.
 */
export function createCachePlugin(opts: CachePluginOptions): ICachePlugin {
  const { store, lock, log } = opts;
  const abandonAfterMs = opts.abandonAfterMs ?? 3_000;
  const accesses = new WeakMap<TokenCacheContext, Access>();

  return {
    async beforeCacheAccess(ctx) {
      const handle = await lock.acquire();
      try {
        const stored = await loadInto(ctx, store, log);
        // MSAL's deserialize adds to its in-memory cache and never drops entries, so memory may
        // still hold an account another process removed. The baseline is therefore what MSAL holds
        // now, not what was read: only what MSAL changes from here on is written back.
        const base = parseCacheJson(ctx.tokenCache.serialize());
        const access: Access = { base, stored, lock: handle, abandoned: false, timer: setTimeout(() => abandon(access), abandonAfterMs) };
        access.timer.unref();
        accesses.set(ctx, access);
      } catch (err) {
        await handle.release();
        throw err;
      }
    },

    async afterCacheAccess(ctx) {
      const access = accesses.get(ctx);
      // No access: its beforeCacheAccess failed (MSAL still calls after from a finally) and released the lock itself.
      if (!access) return;
      accesses.delete(ctx);
      clearTimeout(access.timer);
      let handle: LockHandle | undefined = access.abandoned ? undefined : access.lock;
      try {
        if (!ctx.cacheHasChanged) return;
        handle ??= await lock.acquire();
        const current = access.abandoned ? await store.readAll() : access.stored;
        const ours = parseCacheJson(ctx.tokenCache.serialize());
        await writeChanges(store, current, splitByPartition(threeWayMerge(access.base, ours, mergePartitions(current.values()))), log);
      } finally {
        await handle?.release();
      }
    },
  };

  function abandon(access: Access): void {
    access.abandoned = true;
    log.warn('MSAL did not finish a token cache access in time; released the cache lock', { lock: lock.path, afterMs: abandonAfterMs });
    void access.lock.release();
  }
}

/**
 * Reads every partition and hands them to MSAL. A partition MSAL refuses (valid JSON of the wrong
 * shape, e.g. edited by hand or written by an incompatible version) is set aside instead of
 * failing every later token call.
 */
async function loadInto(ctx: TokenCacheContext, store: PartitionStore, log: Logger): Promise<Map<string, CacheJson>> {
  const stored = await store.readAll();
  try {
    ctx.tokenCache.deserialize(JSON.stringify(mergePartitions(stored.values())));
    return stored;
  } catch {
    log.debug('MSAL refused the merged token cache; checking each partition');
  }
  for (const [id, partition] of stored) {
    try {
      ctx.tokenCache.deserialize(JSON.stringify(mergePartitions([partition])));
    } catch (err) {
      await store.quarantine(id, `MSAL cannot load it (${err instanceof Error ? err.name : 'error'})`);
      stored.delete(id);
    }
  }
  ctx.tokenCache.deserialize(JSON.stringify(mergePartitions(stored.values())));
  return stored;
}

/** Only partitions whose content differs are rewritten, so an unchanged account's tokens are never touched. */
async function writeChanges(store: PartitionStore, current: Map<string, CacheJson>, next: Map<string, CacheJson>, log: Logger): Promise<void> {
  for (const id of new Set([...current.keys(), ...next.keys()])) {
    const partition = next.get(id);
    if (canonicalPartition(partition) === canonicalPartition(current.get(id))) continue;
    if (!partition || isEmptyPartition(partition)) await store.remove(id);
    else await store.write(id, partition);
    log.debug('token cache partition written', { partition: partitionLabel(id), removed: isEmptyPartition(partition) });
  }
}
