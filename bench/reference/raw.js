// Reference server for `npm run bench` (issue 17, "the floor"): raw Node, no SDK and no dependency —
// hand-written JSON-RPC 2.0 for initialize, ping, tools/list and tools/call, with the same two tools and
// Graph requests as bench/reference/bareSdk.js (./graphCalls.js). Validates only what it needs (a string
// query); the tools/list answer is built once.
//   node bench/reference/raw.js          stdio: one JSON message per line in, one per line out
//   node bench/reference/raw.js --http   node:http, POST /mcp with one JSON-RPC message, answered as one
//                                        application/json body (202 for a notification); prints ONE
//                                        JSON line {"url": …} when listening on 127.0.0.1 (free port)
// Environment: BENCH_GRAPH_BASE_URL and BENCH_GRAPH_TOKEN, as for the bare SDK server.
import { createServer } from 'node:http';
import { retrieve, SOURCES, status } from './graphCalls.js';

const VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];
const TOOLS = JSON.stringify({
  tools: [
    { name: 'copilot_status', description: 'The signed-in user (GET /me).', inputSchema: { type: 'object', properties: {} }, annotations: { readOnlyHint: true } },
    {
      name: 'copilot_retrieve',
      description: 'Copilot Retrieval over one source.',
      inputSchema: {
        type: 'object',
        properties: { query: { type: 'string', minLength: 1 }, sources: { type: 'array', items: { type: 'string', enum: SOURCES }, minItems: 1, maxItems: 1 } },
        required: ['query'],
      },
      annotations: { readOnlyHint: true },
    },
  ],
});
const handlers = { copilot_status: status, copilot_retrieve: retrieve };

const ok = (id, resultJson) => `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${resultJson}}`;
const fail = (id, code, message) => JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } });

/** The answer line for one message, or undefined for a notification. */
async function answer(msg) {
  if (!msg || typeof msg !== 'object' || msg.jsonrpc !== '2.0' || typeof msg.method !== 'string') return fail(msg?.id ?? null, -32600, 'Invalid Request');
  if (msg.id === undefined) return undefined;
  const { id, method, params } = msg;
  switch (method) {
    case 'initialize': {
      const asked = params?.protocolVersion;
      return ok(id, JSON.stringify({ protocolVersion: VERSIONS.includes(asked) ? asked : VERSIONS[0], capabilities: { tools: { listChanged: false } }, serverInfo: { name: 'bench-raw', version: '0.0.0' } }));
    }
    case 'ping':
      return ok(id, '{}');
    case 'tools/list':
      return ok(id, TOOLS);
    case 'tools/call': {
      const handler = handlers[params?.name];
      if (!handler) return fail(id, -32602, `Unknown tool: ${params?.name}`);
      const args = params.arguments ?? {};
      if (params.name === 'copilot_retrieve' && (typeof args.query !== 'string' || !args.query)) return fail(id, -32602, 'query must be a non-empty string');
      let r;
      try {
        r = await handler(args);
      } catch (err) {
        r = { ok: false, text: String(err?.message ?? err) };
      }
      return ok(id, JSON.stringify({ content: [{ type: 'text', text: r.text }], ...(r.ok ? {} : { isError: true }) }));
    }
    default:
      return fail(id, -32601, `Method not found: ${method}`);
  }
}

const parse = (text) => {
  try {
    return { msg: JSON.parse(text) };
  } catch {
    return { error: fail(null, -32700, 'Parse error') };
  }
};

if (process.argv.includes('--http')) {
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || (req.url ?? '/').split('?')[0] !== '/mcp') {
      res.writeHead(req.method === 'POST' ? 404 : 405).end();
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const { msg, error } = parse(Buffer.concat(chunks).toString('utf8'));
      const line = error ?? (await answer(msg));
      if (line === undefined) {
        res.writeHead(202).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(line) });
      res.end(line);
    });
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}/mcp` })}\n`));
  process.once('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
} else {
  let buffer = '';
  let pending = 0;
  let ended = false;
  const done = () => ended && pending === 0 && process.exit(0);
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf('\n')) !== -1) {
      const text = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (!text.trim()) continue;
      const { msg, error } = parse(text);
      if (error) process.stdout.write(`${error}\n`);
      else {
        pending++;
        answer(msg).then((line) => {
          if (line !== undefined) process.stdout.write(`${line}\n`);
          pending--;
          done();
        });
      }
    }
  });
  // The client closing stdin ends the process once every answer is written.
  process.stdin.on('end', () => {
    ended = true;
    done();
  });
}
