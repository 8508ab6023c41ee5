// The reference servers as the bench runs them. The bare SDK server is bundled with esbuild the way
// scripts/bundle.js bundles our CLI (ESM, node20, whitespace and syntax minified; zod and the MCP SDK
// compiled in), so its cold start is compared with our shipped bundle like for like; the raw server has
// no dependency and runs as written.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', '..');

/** { bareSdk, raw }: the script each reference server starts from, and remove() for the built bundle. */
export async function referenceServers() {
  const bareSdk = join(root, 'dist', '.bench-ref-bare-sdk.js');
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [join(here, 'bareSdk.js')],
    outfile: bareSdk,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    write: true,
    logLevel: 'warning',
  });
  if (result.errors.length) throw new Error(`bundling the bare SDK server failed: ${result.errors[0].text}`);
  return { bareSdk, raw: join(here, 'raw.js'), remove: () => rmSync(bareSdk, { force: true }) };
}
