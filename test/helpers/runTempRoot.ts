import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * One temporary directory for the whole `vitest run`, made the test processes' TMPDIR before any worker
 * starts: every state directory, audit log, token cache and export a test makes under tmpdir() lands in
 * it (and in the servers the tests start with TMPDIR passed on, test/helpers/httpServer.ts and
 * mcpClients.ts), and it goes when the run ends, passed or failed. Without it each `npm test` left
 * ~350 directories in the system temp directory (counted after one fresh-clone CI run and a few
 * targeted runs: 138 m365-mcp-test-*, 62 m365-mcp-http-*, 99 m365-mcp-memory*…), test audit logs and
 * emulated-tenant token caches among them. M365_TEST_KEEP_TMP=1 keeps it for a post-mortem.
 */
export function useRunTempRoot(log: (line: string) => void): () => void {
  const root = mkdtempSync(join(tmpdir(), 'm365-mcp-tests-'));
  process.env['TMPDIR'] = root;
  return () => {
    if (process.env['M365_TEST_KEEP_TMP']) {
      log(`[tests] kept the run's temporary files in ${root} (M365_TEST_KEEP_TMP)`);
      return;
    }
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };
}
