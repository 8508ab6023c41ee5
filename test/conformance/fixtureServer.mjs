// Stands in for dist/server/buildServer.js when the production HTTP transport imports it (see fixtureHooks.mjs).
// buildServer here is the real one (our 4 tools, registered exactly as in production) plus the
// fixtures @modelcontextprotocol/conformance calls by name. Fixtures exist only in this test folder:
// they are never part of src/ or the shipped tool set.
//
// They are registered on the McpServer directly (not as ToolDefinitions): the suite needs image,
// audio and embedded-resource content, resources, prompts, logging and input_required results,
// none of which a ToolDefinition (text + structuredContent) can express.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  ProtocolError,
  ProtocolErrorCode,
  ResourceTemplate,
  acceptedContent,
  fromJsonSchema,
  inputRequired,
} from '@modelcontextprotocol/server';
import * as z from 'zod';
import * as real from '../../dist/server/buildServer.js';

export * from '../../dist/server/buildServer.js';

// 1×1 red PNG and a minimal WAV, as the suite's reference fixture uses.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const WAV = 'UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=';
const text = (t) => ({ content: [{ type: 'text', text: t }] });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const NO_ARGS = z.object({});

// requestState for the input_required fixtures: HMAC-signed (key per process: every per-request
// server must accept the others' state). A tampered state is refused, but a handler's throw reaches
// the client as an isError result, not the JSON-RPC error the suite wants (see the expected failures).
const STATE_KEY = randomBytes(32);
const sign = (payload) => createHmac('sha256', STATE_KEY).update(payload).digest('base64url');
function mintState(value) {
  const payload = Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${payload}.${sign(payload)}`;
}
function readState(ctx) {
  const raw = ctx.mcpReq.requestState();
  if (raw === undefined) return undefined;
  const [payload, mac] = typeof raw === 'string' ? raw.split('.') : [];
  const expected = payload ? Buffer.from(sign(payload)) : undefined;
  if (!payload || !mac || !expected || expected.length !== Buffer.byteLength(mac) || !timingSafeEqual(expected, Buffer.from(mac)))
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'requestState failed its integrity check');
  return JSON.parse(Buffer.from(payload, 'base64url').toString());
}
/** The retry's inputResponses; a malformed one (the suite sends null and numbers) is refused. */
function responses(ctx, keys) {
  const all = ctx.mcpReq.inputResponses;
  if (all === undefined) return undefined;
  if (all === null || typeof all !== 'object' || Array.isArray(all)) throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'inputResponses must be an object');
  for (const key of keys) {
    const value = all[key];
    if (value !== undefined && (value === null || typeof value !== 'object')) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `inputResponses.${key} must be an object`);
  }
  return all;
}
const askName = (message = 'What is your name?') =>
  inputRequired.elicit({ message, requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } });
const askSampling = (prompt, maxTokens) => inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens });

export function buildServer(surface, runtime, era = 'legacy', opts = {}) {
  const server = real.buildServer(surface, runtime, era, opts);
  addFixtures(server, era);
  return server;
}

function addFixtures(server, era) {
  // The fixture lists never change, so no listChanged (the production tools capability keeps the SDK's default).
  server.server.registerCapabilities({ logging: {}, completions: {}, resources: { listChanged: false, ...(era === 'legacy' ? { subscribe: true } : {}) }, prompts: { listChanged: false } });

  // ---- tools: content types, errors, logging, progress -------------------------------------------
  server.registerTool('test_simple_text', { description: 'Returns simple text content' }, async () => text('This is a simple text response for testing.'));
  server.registerTool('test_image_content', { description: 'Returns image content' }, async () => ({ content: [{ type: 'image', data: PNG, mimeType: 'image/png' }] }));
  server.registerTool('test_audio_content', { description: 'Returns audio content' }, async () => ({ content: [{ type: 'audio', data: WAV, mimeType: 'audio/wav' }] }));
  server.registerTool('test_embedded_resource', { description: 'Returns an embedded resource' }, async () => ({
    content: [{ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }],
  }));
  server.registerTool('test_multiple_content_types', { description: 'Returns text, image and resource content' }, async () => ({
    content: [
      { type: 'text', text: 'Multiple content types test:' },
      { type: 'image', data: PNG, mimeType: 'image/png' },
      { type: 'resource', resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: JSON.stringify({ test: 'data', value: 123 }) } },
    ],
  }));
  server.registerTool('test_error_handling', { description: 'Always fails' }, async () => {
    throw new Error('This tool intentionally returns an error for testing');
  });
  const logThree = async (ctx) => {
    for (const [i, message] of ['Tool execution started', 'Tool processing data', 'Tool execution completed'].entries()) {
      if (i) await sleep(50);
      await ctx.mcpReq.log('info', message);
    }
  };
  server.registerTool('test_tool_with_logging', { description: 'Sends three info log messages', inputSchema: NO_ARGS }, async (_args, ctx) => {
    await logThree(ctx);
    return text('Tool with logging executed successfully');
  });
  server.registerTool('test_logging_tool', { description: 'Logs; must stay silent without a requested log level', inputSchema: NO_ARGS }, async (_args, ctx) => {
    await logThree(ctx);
    return text('logged');
  });
  server.registerTool('test_tool_with_progress', { description: 'Reports progress 0, 50, 100', inputSchema: NO_ARGS }, async (_args, ctx) => {
    const progressToken = ctx.mcpReq._meta?.progressToken ?? 0;
    for (const progress of [0, 50, 100]) {
      await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken, progress, total: 100, message: `Completed step ${progress} of 100` } });
      if (progress !== 100) await sleep(50);
    }
    return text(String(progressToken));
  });
  server.registerTool(
    'json_schema_2020_12_tool',
    {
      description: 'Tool with JSON Schema 2020-12 features',
      inputSchema: fromJsonSchema({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        $defs: { address: { $anchor: 'addressDef', type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } } },
        properties: {
          name: { type: 'string' },
          address: { $ref: '#/$defs/address' },
          contactMethod: { type: 'string', enum: ['phone', 'email'] },
          phone: { type: 'string' },
          email: { type: 'string' },
        },
        allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
        if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
        then: { required: ['phone'] },
        else: { required: ['email'] },
        additionalProperties: false,
      }),
    },
    async (args) => text(`JSON Schema 2020-12 tool called with: ${JSON.stringify(args)}`),
  );

  // ---- tools: server-to-client requests (2025 era: pushed requests; 2026 era: input_required) -----
  const pushed = async (ctx, request, describe) => {
    try {
      return text(describe(await ctx.mcpReq.send(request)));
    } catch (err) {
      return text(`not supported or error: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  server.registerTool('test_sampling', { description: 'Asks the client for an LLM completion', inputSchema: z.object({ prompt: z.string() }) }, async ({ prompt }, ctx) =>
    pushed(ctx, { method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 100 } }, (r) => `LLM response: ${r.content?.text ?? 'No response'}`),
  );
  const elicit = (name, description, message, requestedSchema, inputSchema = NO_ARGS) =>
    server.registerTool(name, { description, inputSchema }, async (args, ctx) =>
      pushed(ctx, { method: 'elicitation/create', params: { message: args.message ?? message, requestedSchema } }, (r) => `User response: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`),
    );
  elicit('test_elicitation', 'Asks the user for input', '', { type: 'object', properties: { response: { type: 'string', description: "User's response" } }, required: ['response'] }, z.object({ message: z.string() }));
  elicit('test_elicitation_sep1034_defaults', 'Elicitation with defaults (SEP-1034)', 'Please review and update the form fields with defaults', {
    type: 'object',
    properties: {
      name: { type: 'string', description: 'User name', default: 'John Doe' },
      age: { type: 'integer', description: 'User age', default: 30 },
      score: { type: 'number', description: 'User score', default: 95.5 },
      status: { type: 'string', description: 'User status', enum: ['active', 'inactive', 'pending'], default: 'active' },
      verified: { type: 'boolean', description: 'Verification status', default: true },
    },
    required: [],
  });
  elicit('test_elicitation_sep1330_enums', 'Elicitation with enum schemas (SEP-1330)', 'Please select options from the enum fields', {
    type: 'object',
    properties: {
      untitledSingle: { type: 'string', description: 'Select one option', enum: ['option1', 'option2', 'option3'] },
      titledSingle: {
        type: 'string',
        description: 'Select one option with titles',
        oneOf: [
          { const: 'value1', title: 'First Option' },
          { const: 'value2', title: 'Second Option' },
          { const: 'value3', title: 'Third Option' },
        ],
      },
      legacyEnum: { type: 'string', description: 'Select one option (legacy)', enum: ['opt1', 'opt2', 'opt3'], enumNames: ['Option One', 'Option Two', 'Option Three'] },
      untitledMulti: { type: 'array', description: 'Select multiple options', minItems: 1, maxItems: 3, items: { type: 'string', enum: ['option1', 'option2', 'option3'] } },
      titledMulti: {
        type: 'array',
        description: 'Select multiple options with titles',
        minItems: 1,
        maxItems: 3,
        items: {
          anyOf: [
            { const: 'value1', title: 'First Choice' },
            { const: 'value2', title: 'Second Choice' },
            { const: 'value3', title: 'Third Choice' },
          ],
        },
      },
    },
    required: [],
  });

  // SEP-2243: an argument mirrored into an Mcp-Param-Region header (the SDK checks header against body).
  server.registerTool(
    'test_param_header',
    {
      description: 'Echoes a region that clients also send as the Mcp-Param-Region header',
      inputSchema: fromJsonSchema({ type: 'object', properties: { region: { type: 'string', 'x-mcp-header': 'Region' } }, required: ['region'] }),
    },
    async ({ region }) => text(`region=${region}`),
  );

  // ---- tools: 2026-07-28 diagnostics (server-stateless) ----------------------------------------
  // Asks for sampling; the SDK answers -32021 itself when the request did not declare that capability.
  server.registerTool('test_missing_capability', { description: 'Needs the sampling client capability', inputSchema: NO_ARGS }, async (_args, ctx) => {
    const answer = responses(ctx, ['answer'])?.answer;
    return answer ? text(`Model said: ${answer.content?.text ?? ''}`) : inputRequired({ inputRequests: { answer: askSampling('Say hello', 10) } });
  });
  server.registerTool('test_streaming_elicitation', { description: 'Asks for input with an input_required result', inputSchema: NO_ARGS }, async (_args, ctx) => {
    const name = acceptedContent(responses(ctx, ['user_name']), 'user_name')?.name;
    return name === undefined ? inputRequired({ inputRequests: { user_name: askName() } }) : text(`Hello, ${name}!`);
  });
  server.registerTool('test_trigger_tool_change', { description: 'Announces a tool list change', inputSchema: NO_ARGS }, async () => {
    server.sendToolListChanged();
    return text('tool list changed');
  });
  server.registerTool('test_trigger_prompt_change', { description: 'Announces a prompt list change', inputSchema: NO_ARGS }, async () => {
    server.sendPromptListChanged();
    return text('prompt list changed');
  });

  // ---- tools/prompts: multi-round-trip input_required (SEP-2322) ---------------------------------
  server.registerTool('test_input_required_result_elicitation', { description: 'Asks for the user name', inputSchema: NO_ARGS }, async (_args, ctx) => {
    const name = acceptedContent(responses(ctx, ['user_name']), 'user_name')?.name;
    return name === undefined ? inputRequired({ inputRequests: { user_name: askName() } }) : text(`Hello, ${name}!`);
  });
  server.registerTool('test_input_required_result_sampling', { description: 'Asks the client LLM a question', inputSchema: NO_ARGS }, async (_args, ctx) => {
    const answer = responses(ctx, ['capital_question'])?.capital_question;
    return answer ? text(`Model said: ${answer.content?.text ?? ''}`) : inputRequired({ inputRequests: { capital_question: askSampling('What is the capital of France?', 100) } });
  });
  server.registerTool('test_input_required_result_list_roots', { description: 'Asks for the client roots', inputSchema: NO_ARGS }, async (_args, ctx) => {
    const roots = responses(ctx, ['client_roots'])?.client_roots?.roots;
    return Array.isArray(roots) ? text(`Roots: ${roots.map((r) => r.uri).join(', ')}`) : inputRequired({ inputRequests: { client_roots: inputRequired.listRoots() } });
  });
  server.registerTool('test_input_required_result_request_state', { description: 'Round-trips requestState', inputSchema: NO_ARGS }, async (_args, ctx) => {
    const state = readState(ctx);
    const ok = acceptedContent(responses(ctx, ['confirm']), 'confirm')?.ok;
    if (state?.step === 'confirm' && ok !== undefined) return text(`state-ok: confirmed=${ok}`);
    return inputRequired({
      inputRequests: { confirm: inputRequired.elicit({ message: 'Please confirm', requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] } }) },
      requestState: mintState({ step: 'confirm' }),
    });
  });
  server.registerTool('test_input_required_result_tampered_state', { description: 'Rejects a tampered requestState', inputSchema: NO_ARGS }, async (_args, ctx) => {
    const state = readState(ctx);
    if (state?.step === 'confirm') return text('state verified');
    return inputRequired({
      inputRequests: { confirm: inputRequired.elicit({ message: 'Please confirm', requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] } }) },
      requestState: mintState({ step: 'confirm' }),
    });
  });
  server.registerTool('test_input_required_result_multiple_inputs', { description: 'Asks for three inputs at once', inputSchema: NO_ARGS }, async (_args, ctx) => {
    const state = readState(ctx);
    const got = responses(ctx, ['user_name', 'greeting', 'client_roots']);
    if (state?.step === 'all' && got?.user_name && got?.greeting && got?.client_roots)
      return text(`Hello ${acceptedContent(got, 'user_name')?.name}: ${got.greeting.content?.text ?? ''} (${got.client_roots.roots?.length ?? 0} roots)`);
    return inputRequired({
      inputRequests: { user_name: askName(), greeting: askSampling('Generate a greeting', 50), client_roots: inputRequired.listRoots() },
      requestState: mintState({ step: 'all' }),
    });
  });
  server.registerTool('test_input_required_result_multi_round', { description: 'Two rounds of questions', inputSchema: NO_ARGS }, async (_args, ctx) => {
    const state = readState(ctx);
    const got = responses(ctx, ['step1', 'step2']);
    if (state?.round === 2 && acceptedContent(got, 'step2')?.color !== undefined) return text(`${state.name} likes ${acceptedContent(got, 'step2').color}`);
    const name = state?.round === 1 ? acceptedContent(got, 'step1')?.name : undefined;
    if (name !== undefined)
      return inputRequired({
        inputRequests: {
          step2: inputRequired.elicit({ message: 'Step 2: What is your favorite color?', requestedSchema: { type: 'object', properties: { color: { type: 'string' } }, required: ['color'] } }),
        },
        requestState: mintState({ round: 2, name }),
      });
    return inputRequired({ inputRequests: { step1: askName('Step 1: What is your name?') }, requestState: mintState({ round: 1 }) });
  });
  server.registerTool('test_input_required_result_capabilities', { description: 'Asks only for what the client can answer', inputSchema: NO_ARGS }, async (_args, ctx) => {
    const caps = ctx.mcpReq.envelope?.['io.modelcontextprotocol/clientCapabilities'] ?? {};
    const inputRequests = {
      ...(caps.elicitation ? { user_name: askName() } : {}),
      ...(caps.sampling ? { greeting: askSampling('Generate a greeting', 50) } : {}),
      ...(caps.roots ? { client_roots: inputRequired.listRoots() } : {}),
    };
    return Object.keys(inputRequests).length ? inputRequired({ inputRequests }) : text('nothing to ask');
  });
  server.registerPrompt('test_input_required_result_prompt', { description: 'A prompt that asks for context first' }, async (ctx) => {
    const context = acceptedContent(responses(ctx, ['user_context']), 'user_context')?.context;
    if (context === undefined)
      return inputRequired({
        inputRequests: {
          user_context: inputRequired.elicit({ message: 'What context should the prompt use?', requestedSchema: { type: 'object', properties: { context: { type: 'string' } }, required: ['context'] } }),
        },
      });
    return { messages: [{ role: 'user', content: { type: 'text', text: `Context: ${context}` } }] };
  });

  // ---- resources -------------------------------------------------------------------------------
  server.registerResource('static-text', 'test://static-text', { title: 'Static Text Resource', mimeType: 'text/plain' }, async () => ({
    contents: [{ uri: 'test://static-text', mimeType: 'text/plain', text: 'This is the content of the static text resource.' }],
  }));
  server.registerResource('static-binary', 'test://static-binary', { title: 'Static Binary Resource', mimeType: 'image/png' }, async () => ({
    contents: [{ uri: 'test://static-binary', mimeType: 'image/png', blob: PNG }],
  }));
  server.registerResource('template', new ResourceTemplate('test://template/{id}/data', { list: undefined }), { title: 'Resource Template', mimeType: 'application/json' }, async (uri, { id }) => ({
    contents: [{ uri: uri.toString(), mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) }],
  }));
  server.registerResource('watched-resource', 'test://watched-resource', { title: 'Watched Resource', mimeType: 'text/plain' }, async () => ({
    contents: [{ uri: 'test://watched-resource', mimeType: 'text/plain', text: 'Watched resource content' }],
  }));
  if (era === 'legacy') {
    // Removed in 2026-07-28 (subscriptions/listen replaces them): registered for the 2025 era only.
    server.server.setRequestHandler('resources/subscribe', async () => ({}));
    server.server.setRequestHandler('resources/unsubscribe', async () => ({}));
  }

  // ---- prompts ---------------------------------------------------------------------------------
  server.registerPrompt('test_simple_prompt', { title: 'Simple Test Prompt', description: 'A prompt without arguments' }, async () => ({
    messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }],
  }));
  server.registerPrompt(
    'test_prompt_with_arguments',
    { title: 'Prompt With Arguments', description: 'A prompt with required arguments', argsSchema: z.object({ arg1: z.string().describe('First test argument'), arg2: z.string().describe('Second test argument') }) },
    async ({ arg1, arg2 }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } }] }),
  );
  server.registerPrompt(
    'test_prompt_with_embedded_resource',
    { title: 'Prompt With Embedded Resource', description: 'A prompt that embeds a resource', argsSchema: z.object({ resourceUri: z.string().describe('URI of the resource to embed') }) },
    async ({ resourceUri }) => ({
      messages: [
        { role: 'user', content: { type: 'resource', resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } } },
        { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
      ],
    }),
  );
  server.registerPrompt('test_prompt_with_image', { title: 'Prompt With Image', description: 'A prompt with image content' }, async () => ({
    messages: [
      { role: 'user', content: { type: 'image', data: PNG, mimeType: 'image/png' } },
      { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
    ],
  }));

  // ---- completion --------------------------------------------------------------------------------
  server.server.setRequestHandler('completion/complete', async () => ({ completion: { values: [], total: 0, hasMore: false } }));
}
