import * as z from 'zod';
import { AppError } from '../errors.js';
import { BETA_RETRIEVAL_SOURCES, CONNECTOR_SCOPE, retrieve, RETRIEVAL_SOURCES as SOURCES, SHAREPOINT_SCOPES, type RetrievalOutcome, type RetrievalSource as Source } from '../graph/copilot/retrieval.js';
import { withholdingReason, type LabelPolicy } from '../policy/labelPolicy.js';
import { mergeRelevant } from './retrievalMerge.js';
import { defineTool } from './tool.js';

const DEFAULT_SOURCES: Source[] = ['sharePoint', 'oneDriveBusiness'];

const input = z
  .object({
    query: z.string().trim().min(1).max(1500).describe('One natural-language sentence describing what to find (max 1,500 characters). Avoid typos in key words.'),
    sources: z
      .array(z.enum(SOURCES))
      .min(1)
      .max(SOURCES.length)
      .optional()
      .describe('Default: sharePoint and oneDriveBusiness. externalItem: Copilot connectors (all the user can read, or only connectionIds; copilot_status lists them). sharePointEmbedded (beta, needs --enable-beta): the SharePoint Embedded containers of containerTypeId.'),
    // Microsoft Graph, externalConnection resource: "id ... must be between 3 and 32 characters in
    // length, must only contain alphanumeric characters".
    connectionIds: z
      .array(z.string().regex(/^[A-Za-z0-9]{3,32}$/, 'a connection id is 3 to 32 letters and digits, e.g. "ContosoITServiceNowKB"'))
      .min(1)
      .max(20)
      .optional()
      .describe('Only these Copilot connector connections (externalItem source); omit to retrieve from every connection the user can read. copilot_status lists the tenant\'s connections.'),
    containerTypeId: z
      .string()
      .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'a SharePoint Embedded container type id (a GUID)')
      .optional()
      .describe('SharePoint Embedded container type id; required with the sharePointEmbedded source (beta).'),
    includeThumbnails: z
      .boolean()
      .optional()
      .describe('Beta (needs --enable-beta): page numbers on extracts and which pages have thumbnails (the images themselves are not returned).'),
    filter: z
      .string()
      .max(2000)
      .optional()
      .describe('KQL scope, e.g. FileExtension:"pdf", Path:"https://…/sites/HR/", LastModifiedTime>=2025-01-01. Invalid KQL is ignored.'),
    metadata: z.array(z.string().min(1).max(64)).max(20).optional().describe('Extra metadata fields to return per hit, e.g. ["author", "lastModifiedTime"].'),
    maxResults: z
      .number()
      .int()
      .min(1)
      .max(25)
      .optional()
      .describe('Hits per source (1–25). Without it you get the hits that score at least 40% of the best one, at most 10; give it to see weaker matches.'),
  })
  .superRefine((args, ctx) => {
    const sources = args.sources ?? DEFAULT_SOURCES;
    if (new Set(sources).size !== sources.length) ctx.addIssue({ code: 'custom', path: ['sources'], message: 'each source may appear only once' });
    if (args.connectionIds?.length && !sources.includes('externalItem'))
      ctx.addIssue({ code: 'custom', path: ['connectionIds'], message: 'connectionIds only applies when sources includes externalItem' });
    if (sources.includes('sharePointEmbedded') && !args.containerTypeId)
      ctx.addIssue({ code: 'custom', path: ['containerTypeId'], message: 'containerTypeId is required when sources includes sharePointEmbedded' });
    if (args.containerTypeId && !sources.includes('sharePointEmbedded'))
      ctx.addIssue({ code: 'custom', path: ['containerTypeId'], message: 'containerTypeId only applies when sources includes sharePointEmbedded' });
  });

// Colour and tooltip are for UIs; the model needs which label it is and how sensitive (priority).
const Label = z.object({
  id: z.string(),
  name: z.string().optional(),
  priority: z.number().optional(),
  isEncrypted: z.boolean().optional(),
});

const Hit = z.object({
  url: z.string(),
  title: z.string().optional(),
  source: z.enum(SOURCES),
  resourceType: z.string(),
  extracts: z.array(z.object({ text: z.string(), relevanceScore: z.number().optional(), pageNumbers: z.array(z.number()).optional() })),
  sensitivityLabel: Label.optional(),
  thumbnails: z
    .array(z.object({ pageNumber: z.number().optional(), mediaType: z.string().optional(), bytes: z.number().optional() }))
    .optional()
    .describe('includeThumbnails (beta): the page thumbnails Graph returned, described (page, type, size); the images are not passed on.'),
  metadata: z.record(z.string(), z.string()).optional(),
  withheld: z
    .literal('policy')
    .optional()
    .describe("Set when this server's sensitivity-label policy kept the extracts (and metadata) from you: cite the url and title, do not guess the content."),
});

const SourceStatus = z.object({
  source: z.enum(SOURCES),
  status: z.enum(['ok', 'error']),
  hitCount: z.number(),
  droppedHits: z.number().optional().describe('Hits Graph returned without a url (it may): they cannot be cited, so they are left out.'),
  requestId: z.string().optional(),
  error: z.object({ code: z.string(), message: z.string(), nextStep: z.string().optional(), graphCode: z.string().optional() }).optional(),
});

const output = z.object({
  hits: z.array(Hit).describe('Merged across sources, de-duplicated by url, best relevance first.'),
  sources: z.array(SourceStatus).describe('One entry per requested source; a failed source does not fail the others.'),
  withheldCount: z.number().describe('Hits whose extracts were withheld by the label policy (marked withheld: "policy").'),
  leftOut: z.number().optional().describe('Weaker hits left out (no maxResults given: under 40% of the best score, or past the first 10).'),
  budget: z
    .object({
      limit: z.number(),
      remaining: z.number(),
      resetsAt: z.string().optional().describe('When one more call frees up (the oldest counted call leaves the sliding hour, or Graph lifts a throttle).'),
    })
    .optional()
    .describe("The signed-in user's Copilot Retrieval calls left in the past hour (each source is one call)."),
});

type Out = z.output<typeof output>;
/** One hit of copilot_retrieve's answer. */
export type OutHit = Out['hits'][number];

export const retrieveTool = defineTool({
  name: 'copilot_retrieve',
  title: 'Search Microsoft 365 content (Copilot Retrieval)',
  description: [
    "Ground an answer in the signed-in user's Microsoft 365 content: SharePoint sites, their OneDrive, and Copilot connectors.",
    'Returns the best-matching documents with text extracts, relevance scores (0–1), sensitivity labels and urls to cite;',
    "only content the user is allowed to read is ever returned. Use it before answering questions about the organisation's documents or policies.",
    'Sources are searched in one round trip; one failing source does not fail the others (see `sources`).',
    'By default you get the hits scoring at least 40% of the best one, at most 10 (`leftOut` counts the rest; `maxResults` returns up to 25 per source).',
    'About 200 calls per user per hour (each source is one call; `budget` says what is left).',
    'Content with a sensitivity label the server withholds comes back as url, title and label only (withheld: "policy").',
  ].join(' '),
  instructions: 'copilot_retrieve grounds answers in the SharePoint, OneDrive and connector content the user can read (cite the urls)',
  toolset: 'retrieval',
  stability: 'ga',
  api: { name: 'the Copilot Retrieval API', clouds: ['global'] },
  readOnly: true,
  input,
  output,
  permissions: { delegated: [...SHAREPOINT_SCOPES, CONNECTOR_SCOPE], application: [] },
  audited: { query: 'text', sources: 'value', connectionIds: 'value', containerTypeId: 'value', includeThumbnails: 'value', filter: 'text', metadata: 'value', maxResults: 'value' },
  examples: { query: 'How do I set up the corporate VPN?', sources: ['sharePoint', 'oneDriveBusiness'], connectionIds: ['ContosoITServiceNowKB'], containerTypeId: 'e2b7a2c4-5d1f-4c8e-9a3b-7f6d5c4b3a21', includeThumbnails: true, filter: 'FileExtension:"pdf"', metadata: ['author', 'lastModifiedTime'], maxResults: 10 },
  async handle(args, ctx) {
    const sources = args.sources ?? DEFAULT_SOURCES;
    const beta = sources.filter((src) => (BETA_RETRIEVAL_SOURCES as readonly string[]).includes(src));
    if ((beta.length || args.includeThumbnails) && !ctx.environment.betaEnabled)
      throw new AppError('InvalidArgument', `${beta.length ? `the ${beta.join(', ')} source` : 'includeThumbnails'} uses the preview (beta) Copilot Retrieval API, which this server does not use without --enable-beta`, {
        nextStep: 'Restart the server with --enable-beta (M365_COPILOT_MCP_ENABLE_BETA=true), or call again without it.',
      });
    const requested = args.metadata ?? [];
    // Title is always asked for so hits can be cited by name; it is dropped from `metadata` unless requested.
    const metadata = dedupeCaseInsensitive(['title', ...requested]);
    // The budget is a policy of this route in the Graph chain: it refuses before sending when spent,
    // and counts what Graph counted; here it is only read back for the answer.
    const perSource = await retrieve(
      ctx.graph,
      sources.map((source) => ({
        query: args.query,
        source,
        filter: args.filter,
        metadata,
        maxResults: args.maxResults,
        connectionIds: args.connectionIds,
        containerTypeId: args.containerTypeId,
        includeThumbnails: args.includeThumbnails,
      })),
      ctx.signal,
    );
    // When every source failed there is nothing to return: surface the first failure as the error.
    const failed = (p: RetrievalOutcome): p is Extract<RetrievalOutcome, { error: AppError }> => 'error' in p;
    if (perSource.every(failed)) throw perSource[0]!.error;
    const caller = await ctx.caller();
    const budget = caller ? await ctx.policy.retrievalBudget.status(caller) : undefined;

    const { kept, leftOut } = mergeRelevant(perSource, requested, args.maxResults);
    const hits = withholdByLabel(kept, ctx.policy.labels);
    const structured: Out = {
      hits,
      ...(leftOut ? { leftOut } : {}),
      sources: perSource.map((p) =>
        failed(p)
          ? { source: p.source, status: 'error' as const, hitCount: 0, error: errorSummary(p.error) }
          : { source: p.source, status: 'ok' as const, hitCount: p.hits.filter((h) => h.webUrl).length, ...droppedOf(p.hits), ...(p.requestId ? { requestId: p.requestId } : {}) },
      ),
      withheldCount: hits.filter((h) => h.withheld).length,
      ...(budget ? { budget } : {}),
    };
    return { structured, text: renderText(args.query, structured) };
  },
});

/**
 * Applied after merging and ranking, so a withheld hit keeps its place. Only what identifies the
 * document stays (url, title, source, label); extracts and metadata never reach the model.
 */
function withholdByLabel(hits: OutHit[], policy: LabelPolicy): OutHit[] {
  return hits.map((h) =>
    withholdingReason(policy, h.sensitivityLabel) === undefined
      ? h
      : {
          url: h.url,
          ...(h.title ? { title: h.title } : {}),
          source: h.source,
          resourceType: h.resourceType,
          extracts: [],
          ...(h.sensitivityLabel ? { sensitivityLabel: h.sensitivityLabel } : {}),
          withheld: 'policy' as const,
        },
  );
}

function droppedOf(hits: readonly { webUrl?: string | null | undefined }[]): { droppedHits?: number } {
  const dropped = hits.filter((h) => !h.webUrl).length;
  return dropped ? { droppedHits: dropped } : {};
}

function dedupeCaseInsensitive(values: string[]): string[] {
  const seen = new Set<string>();
  return values.filter((v) => (seen.has(v.toLowerCase()) ? false : (seen.add(v.toLowerCase()), true)));
}

export function errorSummary(err: AppError): { code: string; message: string; nextStep?: string; graphCode?: string } {
  const graphCode = err.details['graphCode'];
  return {
    code: err.code,
    message: err.message,
    ...(err.nextStep ? { nextStep: err.nextStep } : {}),
    ...(typeof graphCode === 'string' ? { graphCode } : {}),
  };
}

function renderText(query: string, out: Out): string {
  const failed = out.sources.filter((s) => s.status === 'error');
  const head = `${out.hits.length} hit(s) for "${truncate(query, 80)}" from ${out.sources.map((s) => `${s.source}${s.status === 'error' ? ' (failed)' : ''}`).join(', ')}.`;
  const lines = [head];
  for (const f of failed) lines.push(`${f.source} failed: [${f.error?.code}] ${f.error?.message}${f.error?.nextStep ? ` Next step: ${f.error.nextStep}` : ''}`);
  for (const s of out.sources) if (s.droppedHits) lines.push(`${s.source}: ${s.droppedHits} hit(s) came without a url and were left out.`);
  out.hits.forEach((h, i) => {
    const score = h.extracts.find((e) => e.relevanceScore !== undefined)?.relevanceScore;
    const label = h.sensitivityLabel?.name ? ` [${h.sensitivityLabel.name}]` : '';
    lines.push(`${i + 1}. ${h.title ?? h.url}${label}${score !== undefined ? ` (${score.toFixed(2)})` : ''}\n   ${h.url}`);
    if (h.withheld) lines.push('   (content withheld by this server\'s sensitivity-label policy)');
    for (const e of h.extracts) lines.push(`   > ${e.pageNumbers ? `(p. ${e.pageNumbers.join(', ')}) ` : ''}${truncate(e.text, 400)}`);
    if (h.thumbnails?.length) lines.push(`   thumbnails of page(s) ${h.thumbnails.map((t) => t.pageNumber ?? '?').join(', ')} (not shown)`);
  });
  if (out.leftOut) lines.push(`${out.leftOut} weaker hit(s) left out; call again with maxResults (e.g. 25) to see them.`);
  if (out.withheldCount) lines.push(`${out.withheldCount} hit(s) withheld by the sensitivity-label policy: cite them by title and url only.`);
  if (out.budget) lines.push(`Retrieval budget: ${out.budget.remaining} of ${out.budget.limit} calls left this hour.`);
  return lines.join('\n');
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}
