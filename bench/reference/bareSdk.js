// Reference server for `npm run bench` (issue 17, "the floor"): the bare MCP SDK v2 — the project's pinned
// @modelcontextprotocol/server and @modelcontextprotocol/node, and zod — with one tool per measured call,
// each doing the single Graph request of ours (./graphCalls.js). No auth gate, audit, policy, retries or
// output schema: what any server built on the SDK pays. Served the way we serve:
//   node bench/reference/bareSdk.js          stdio, through the SDK's serveStdio (as src/transports/stdio.ts)
//   node bench/reference/bareSdk.js --http   stateless Streamable HTTP: createMcpHandler + toNodeHandler on
//                                            node:http, POST /mcp (as src/transports/http.ts); prints ONE
//                                            JSON line {"url": …} when listening on 127.0.0.1 (free port)
// Environment: BENCH_GRAPH_BASE_URL (the emulator's Graph origin) and BENCH_GRAPH_TOKEN (a Graph token).
// The bench runs it bundled like our CLI (./build.js); it runs as written too.
import { createServer } from 'node:http';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import * as z from 'zod';
import { retrieve, SOURCES, status } from './graphCalls.js';

const result = ({ ok, text }) => ({ content: [{ type: 'text', text }], ...(ok ? {} : { isError: true }) });

/** One McpServer per connection (stdio) or per request (HTTP), as the SDK's factories expect. */
function build() {
  const server = new McpServer({ name: 'bench-bare-sdk', version: '0.0.0' }, { capabilities: { tools: { listChanged: false } } });
  server.registerTool(
    'copilot_status',
    { description: 'The signed-in user (GET /me).', inputSchema: z.object({}), annotations: { readOnlyHint: true } },
    async () => result(await status()),
  );
  server.registerTool(
    'copilot_retrieve',
    {
      description: 'Copilot Retrieval over one source.',
      inputSchema: z.object({ query: z.string().min(1), sources: z.array(z.enum(SOURCES)).min(1).max(1).optional() }),
      annotations: { readOnlyHint: true },
    },
    async (args) => result(await retrieve(args)),
  );
  return server;
}

if (process.argv.includes('--http')) {
  const node = toNodeHandler(createMcpHandler(build));
  const server = createServer((req, res) => {
    if ((req.url ?? '/').split('?')[0] !== '/mcp') {
      res.writeHead(404).end();
      return;
    }
    node(req, res).catch(() => res.destroy());
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}/mcp` })}\n`));
  process.once('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
} else {
  const handle = serveStdio(build);
  // As ours: the client closing stdin ends the process (idle keep-alive sockets to Graph would not).
  process.stdin.once('end', () => handle.close().finally(() => process.exit(0)));
}
