// What every example reads from the environment: an OpenAI-compatible endpoint and model, and how to
// start this MCP server. Defaults: a local Ollama, and this clone's server against its emulated tenant.
import { fileURLToPath } from 'node:url';

const env = process.env;

/** e.g. Ollama http://localhost:11434/v1, LM Studio http://localhost:1234/v1, vLLM http://localhost:8000/v1. */
export const baseURL = env.OPENAI_BASE_URL ?? 'http://localhost:11434/v1';
/** Local servers accept any key; hosted ones need theirs. */
export const apiKey = env.OPENAI_API_KEY ?? 'local';
/** A model that can call tools (function calling), e.g. llama3.1, qwen2.5, gpt-4.1-mini. */
export const model = env.MODEL ?? 'llama3.1';

/**
 * This server over stdio: the same node, the CLI built in this clone (`npm ci` builds it), and
 * M365_MCP_ARGS (default `--demo`: the built-in emulated tenant, no Microsoft 365 account needed).
 */
export const server = {
  command: process.execPath,
  args: [fileURLToPath(new URL('../dist/cli.js', import.meta.url)), ...(env.M365_MCP_ARGS ?? '--demo').split(' ').filter(Boolean)],
};

export const question = env.QUESTION ?? 'How do I set up the corporate VPN? Use the copilot_retrieve tool and cite the documents.';
