import type { SurfaceVariant } from '../../config/fastStartChoice.js';

/**
 * The fast start's vocabulary, shared by the build step that renders the answers
 * (scripts/renderFastStart.js) and the front that sends them (front.ts).
 */
export const VARIANTS: readonly SurfaceVariant[] = [false, true].flatMap((enableBeta) => [false, true].map((exportFiles) => ({ enableBeta, exportFiles })));

export const variantKey = (v: SurfaceVariant): string => `beta=${Number(v.enableBeta)},files=${Number(v.exportFiles)}`;

/** The flags that make the server offer `v` (`exportDir`: any existing directory). */
export const variantArgs = (v: SurfaceVariant, exportDir: string): string[] => [...(v.enableBeta ? ['--enable-beta'] : []), ...(v.exportFiles ? ['--export-dir', exportDir] : [])];

/** One answer's `result`, as the JSON text the SDK wrote; the front adds the envelope around it. */
export type ResultJson = string;

/** dist/cli.answers.json: written by the build, read by the front. */
export interface RenderedAnswers {
  format: 1;
  /** The package version the answers were rendered with (serverInfo carries it). */
  version: string;
  /** Each distinct result once (most versions share their tools/list): the entries below index it. */
  results: ResultJson[];
  ping: number;
  /** variantKey → protocol version (2025 era, as requested in initialize) → answers. */
  variants: Record<string, Record<string, { initialize: number; toolsList: number }>>;
}

export const ANSWERS_FILE = 'cli.answers.json';

/**
 * A JSON-RPC answer exactly as the SDK serialises it (result first, then jsonrpc, then id: the order
 * its protocol layer builds the object in). The renderer checks every rendered line against this.
 */
export const answerLine = (result: ResultJson, id: string | number): string => `{"result":${result},"jsonrpc":"2.0","id":${JSON.stringify(id)}}`;
