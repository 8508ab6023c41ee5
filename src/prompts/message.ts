import type { GetPromptResult } from '@modelcontextprotocol/server';

/** A prompt's answer: one user-role message telling the model which tools to call and how to present them. */
export function userMessage(text: string): GetPromptResult {
  return { messages: [{ role: 'user', content: { type: 'text', text } }] };
}
