import type { ReadResourceTemplateCallback } from '@modelcontextprotocol/server';
import type { ToolContext } from '../tools/tool.js';
import { decodeVariable, toResourceError } from './errors.js';
import type { CallRunner } from './runner.js';

export const MARKDOWN = 'text/markdown';

/**
 * The read callback every resource template shares: decode the URI's ids, render the markdown in the
 * caller's audited context (the record is `resource:<name>` with the ids as arguments), map failures.
 */
export function markdownRead<K extends string>(
  calls: CallRunner,
  name: string,
  variables: readonly K[],
  render: (ids: Record<K, string>, ctx: ToolContext) => Promise<string>,
): ReadResourceTemplateCallback {
  return async (uri, values, sdkCtx) => {
    try {
      const ids = Object.fromEntries(variables.map((v) => [v, decodeVariable(values[v], v)])) as Record<K, string>;
      // A resource's URI variables are ids: recorded as given.
      const audited = Object.fromEntries(variables.map((v) => [v, 'value' as const]));
      const text = await calls.run(`resource:${name}`, ids, audited, sdkCtx.mcpReq.signal, (ctx) => render(ids, ctx));
      return { contents: [{ uri: uri.href, mimeType: MARKDOWN, text }] };
    } catch (err) {
      throw toResourceError(err, uri.href);
    }
  };
}
