/**
 * The emulator's own log: one JSON object per line on stderr, never stdout (`m365-copilot-mcp
 * emulator` prints its descriptor there, and `--demo` runs inside a stdio MCP server whose stdout is
 * the protocol). Its own, so the emulator depends on nothing of the server; the server's logger
 * fits this interface and may be passed in instead.
 */
export type EmulatorLogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface EmulatorLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const ORDER: Record<EmulatorLogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

// JSON.stringify turns an Error into {}: keep what explains it. A stack trace is for the emulator's
// own bugs, which its tests reproduce; the name and message say which request failed and why.
function serialisable(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error ? { name: value.name, message: value.message, code: (value as { code?: unknown }).code } : value;
  }
  return out;
}

export function createEmulatorLogger(
  level: EmulatorLogLevel = 'warn',
  base: Record<string, unknown> = {},
  write: (line: string) => void = (line) => process.stderr.write(line),
): EmulatorLogger {
  const threshold = ORDER[level];
  const emit = (lvl: Exclude<EmulatorLogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < threshold) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...base, ...(fields ? serialisable(fields) : {}) })}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}
