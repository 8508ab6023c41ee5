import type { ToolDefinition } from '../tools/tool.js';

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/**
 * From the definition alone. What a client may auto-approve rests on these, so they say what the
 * tool does to the user's machine: only a tool that writes is not read-only, and one that writes is
 * destructive unless its definition says it never replaces anything.
 */
export function annotationsOf(tool: Pick<ToolDefinition, 'readOnly' | 'destructive'>): ToolAnnotations {
  return { readOnlyHint: tool.readOnly, destructiveHint: !tool.readOnly && (tool.destructive ?? true), idempotentHint: true, openWorldHint: true };
}
