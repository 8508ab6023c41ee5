import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The built CLI: tool tests drive the shipped binary, not the sources. */
export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
