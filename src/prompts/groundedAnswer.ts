import type { McpServer } from '@modelcontextprotocol/server';
import * as z from 'zod';
import { userMessage } from './message.js';

const args = z.object({
  question: z.string().trim().min(1).max(1500).describe('The question to answer from your organisation’s SharePoint and OneDrive content (up to 1,500 characters).'),
});

export function registerGroundedAnswer(server: McpServer): void {
  server.registerPrompt(
    'grounded_answer',
    {
      title: 'Answer grounded in our SharePoint, with citations',
      description: 'Answers a question only from SharePoint/OneDrive documents you can read (Copilot Retrieval), citing each source by its URL.',
      argsSchema: args,
    },
    ({ question }) =>
      userMessage(
        [
          `Question: ${question}`,
          '',
          'Call the tool copilot_retrieve with this question as "query" (rephrase it as a short search if it is long; sources: ["sharePoint", "oneDriveBusiness"]).',
          'Answer only from the returned extracts. After each statement cite its source as a markdown link [title](url) using the hit\'s url; end with a "Sources" list.',
          'Mention a sensitivity label when a cited document carries one. If a source reports an error, say which one.',
          'If the extracts do not answer the question, say so plainly instead of guessing, and suggest a better search.',
        ].join('\n'),
      ),
  );
}
