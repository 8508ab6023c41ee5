/**
 * What the shared limits need of Redis: run one Lua script atomically (EVAL) and say where Redis is.
 * Kept this small so the policies know nothing of the client library; the composition root adapts
 * its Redis connection to it. A failure rejects (Redis down, timeout): the caller falls back.
 */
export interface SharedScripts {
  /** Where the shared state lives, without credentials (for log lines). */
  readonly target: string;
  run(script: string, keys: string[], args: (string | number)[]): Promise<unknown>;
}

/** Every key the server writes for its shared limits starts with this (the token cache has its own prefix). */
export const SHARED_LIMITS_PREFIX = 'm365-copilot-mcp:limits:';

/** Millisecond time from the Redis server, so every instance counts on one clock whatever their own say. */
export const LUA_NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;
