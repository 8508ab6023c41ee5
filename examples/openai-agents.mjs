// OpenAI Agents SDK for JavaScript: our server as an MCPServerStdio of an Agent, the model served by
// any OpenAI-compatible endpoint over Chat Completions.  Run: node examples/openai-agents.mjs
import { Agent, MCPServerStdio, run, setDefaultOpenAIClient, setOpenAIAPI, setTracingDisabled } from '@openai/agents';
import OpenAI from 'openai';
import { apiKey, baseURL, model, question, server } from './settings.mjs';

// Traces would go to OpenAI's platform; the point here is a local or self-chosen endpoint.
setTracingDisabled(true);
setDefaultOpenAIClient(new OpenAI({ baseURL, apiKey }));
// Local servers (Ollama, LM Studio, vLLM) speak Chat Completions; the SDK defaults to the Responses API.
setOpenAIAPI('chat_completions');

const m365 = new MCPServerStdio({ name: 'm365-copilot', command: server.command, args: server.args });
await m365.connect();
try {
  const agent = new Agent({
    name: 'Workplace assistant',
    instructions: 'Answer from the Microsoft 365 tools; cite the documents you used.',
    model,
    mcpServers: [m365],
  });
  const result = await run(agent, question);
  console.log(result.finalOutput);
} finally {
  await m365.close();
}
