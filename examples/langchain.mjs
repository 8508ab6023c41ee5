// LangChain.js / LangGraph: our tools through @langchain/mcp-adapters, in a LangGraph ReAct agent
// whose model is any OpenAI-compatible endpoint.  Run: node examples/langchain.mjs
import { createReactAgent } from '@langchain/langgraph/prebuilt';
import { MultiServerMCPClient } from '@langchain/mcp-adapters';
import { ChatOpenAI } from '@langchain/openai';
import { apiKey, baseURL, model, question, server } from './settings.mjs';

const mcp = new MultiServerMCPClient({
  mcpServers: { m365: { transport: 'stdio', command: server.command, args: server.args } },
  // The tools keep their own names (copilot_retrieve, …), as the server's instructions call them.
  prefixToolNameWithServerName: false,
});
try {
  const tools = await mcp.getTools();
  const llm = new ChatOpenAI({ model, apiKey, configuration: { baseURL } });
  const agent = createReactAgent({ llm, tools });
  const result = await agent.invoke({ messages: [{ role: 'user', content: question }] });
  console.log(result.messages.at(-1).content);
} finally {
  await mcp.close();
}
