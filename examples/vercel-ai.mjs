// Vercel AI SDK: our tools through @ai-sdk/mcp, a model from @ai-sdk/openai-compatible, and
// generateText running tool calls until the model answers.  Run: node examples/vercel-ai.mjs
import { createMCPClient } from '@ai-sdk/mcp';
import { StdioMCPTransport } from '@ai-sdk/mcp/mcp-stdio';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, stepCountIs } from 'ai';
import { apiKey, baseURL, model, question, server } from './settings.mjs';

const mcp = await createMCPClient({ transport: new StdioMCPTransport({ command: server.command, args: server.args }) });
try {
  const provider = createOpenAICompatible({ name: 'openai-compatible', baseURL, apiKey });
  const { text } = await generateText({
    model: provider(model),
    tools: await mcp.tools(),
    // Each step is one model answer; a tool call and then the answer that uses its result are two.
    stopWhen: stepCountIs(5),
    prompt: question,
  });
  console.log(text);
} finally {
  await mcp.close();
}
