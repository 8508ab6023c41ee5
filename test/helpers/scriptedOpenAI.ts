import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A scripted OpenAI-compatible endpoint on loopback (`POST /v1/chat/completions`, JSON or SSE
 * streaming, as the client asks), standing in for Ollama, LM Studio, vLLM or a hosted model:
 *
 * 1. a request whose conversation has no tool result yet is answered with one tool call: the offered
 *    tool whose name ends with `toolName` (frameworks may prefix names), with `toolArgs`;
 * 2. the next request must carry that tool's result (a `tool` message answering the call id): its
 *    text is recorded, and the answer is the final text `finalAnswer(result)`.
 *
 * Anything else (no such tool offered, a tool message for another call) is answered 400 with an
 * OpenAI-style error and recorded in `problems`, so a test sees what went wrong.
 */
export interface ScriptedModel {
  baseURL: string;
  /** Each request body, in order. */
  requests: ChatRequest[];
  /** The text of the tool result the model was given back, once it was. */
  toolResults: string[];
  problems: string[];
  close(): Promise<void>;
}

interface ChatMessage {
  role: string;
  content?: string | { type: string; text?: string }[] | null;
  tool_call_id?: string;
  tool_calls?: { id: string }[];
}
export interface ChatRequest {
  model?: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  messages: ChatMessage[];
  tools?: { type: string; function: { name: string } }[];
}

const CALL_ID = 'call_scripted_1';

export async function startScriptedModel(opts: { toolName: string; toolArgs: Record<string, unknown>; finalAnswer: (toolResult: string) => string }): Promise<ScriptedModel> {
  const requests: ChatRequest[] = [];
  const toolResults: string[] = [];
  const problems: string[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method !== 'POST' || !/\/chat\/completions$/.test(path)) return fail(res, 404, `not served here: ${req.method} ${path}`);
    let body: ChatRequest;
    try {
      body = JSON.parse(await readBody(req)) as ChatRequest;
    } catch {
      return fail(res, 400, 'the request body is not JSON');
    }
    requests.push(body);
    const toolMessage = body.messages.find((m) => m.role === 'tool');
    if (!toolMessage) {
      const tool = body.tools?.find((t) => t.function.name === opts.toolName || t.function.name.endsWith(`_${opts.toolName}`) || t.function.name.endsWith(`__${opts.toolName}`));
      if (!tool) return fail(res, 400, `no tool named like ${opts.toolName} was offered (offered: ${body.tools?.map((t) => t.function.name).join(', ') || 'none'})`);
      return answer(res, body, { tool_calls: [{ index: 0, id: CALL_ID, type: 'function', function: { name: tool.function.name, arguments: JSON.stringify(opts.toolArgs) } }] }, 'tool_calls');
    }
    if (toolMessage.tool_call_id !== CALL_ID) return fail(res, 400, `the tool message answers ${toolMessage.tool_call_id}, not ${CALL_ID}`);
    const text = typeof toolMessage.content === 'string' ? toolMessage.content : (toolMessage.content ?? []).map((p) => p.text ?? '').join('');
    toolResults.push(text);
    return answer(res, body, { content: opts.finalAnswer(text) }, 'stop');
  };

  const fail = (res: ServerResponse, status: number, message: string) => {
    problems.push(message);
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message, type: 'invalid_request_error', code: null } }));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => fail(res, 500, err.message));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    toolResults,
    problems,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type Delta = { content?: string; tool_calls?: { index: number; id: string; type: 'function'; function: { name: string; arguments: string } }[] };

/** One assistant turn, as one JSON completion or as SSE chunks (role, the delta, the finish, usage, [DONE]). */
function answer(res: ServerResponse, req: ChatRequest, delta: Delta, finish: 'stop' | 'tool_calls') {
  const base = { id: `chatcmpl-scripted-${Date.now()}`, created: Math.floor(Date.now() / 1000), model: req.model ?? 'scripted' };
  const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
  if (!req.stream) {
    const message = { role: 'assistant', content: delta.content ?? null, ...(delta.tool_calls ? { tool_calls: delta.tool_calls.map(({ index: _index, ...call }) => call) } : {}) };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message, finish_reason: finish }], usage }));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices, ...extra })}\n\n`);
  chunk([{ index: 0, delta: { role: 'assistant', content: delta.content === undefined ? null : '' }, finish_reason: null }]);
  chunk([{ index: 0, delta, finish_reason: null }]);
  chunk([{ index: 0, delta: {}, finish_reason: finish }]);
  if (req.stream_options?.include_usage) chunk([], { usage });
  res.end('data: [DONE]\n\n');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}
