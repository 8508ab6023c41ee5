import * as z from 'zod';
import { AppError } from '../errors.js';
import { nextPageLink, searchNextPage, searchOneDrive, SEARCH_SCOPES } from '../graph/copilot/search.js';
import { withholdsAnything } from '../policy/labelPolicy.js';
import { defineTool } from './tool.js';


const input = z.object({
  query: z.string().trim().min(1).max(1500).describe('What to find in the user\'s OneDrive, in natural language or key words (max 1,500 characters).'),
  pageSize: z.number().int().min(1).max(100).optional().describe('Hits per page (1–100, default 25).'),
  folder: z.string().url({ message: 'must be the full URL of a OneDrive folder (open the folder in the browser and copy its address)' }).max(2000).optional().describe('Only files under this OneDrive folder URL (becomes a path: filter).'),
  cursor: z.string().min(1).max(8000).optional().describe('nextCursor of the previous page; the query, pageSize and folder of the first call then apply.'),
});

const output = z.object({
  hits: z.array(
    z.object({
      url: z.string(),
      title: z.string().optional(),
      preview: z.string().optional(),
      author: z.string().optional(),
      lastModifiedTime: z.string().optional(),
    }),
  ).describe('Best match first.'),
  totalCount: z.number().optional().describe('Matches across all pages, when Graph says.'),
  nextCursor: z.string().optional().describe('Pass as cursor for the next page; absent on the last page.'),
  withheld: z
    .literal('policy')
    .optional()
    .describe("Set when this server's sensitivity-label policy is active: the Search API reports no labels, so previews are left out. Use copilot_retrieve, which applies the policy per document, for content."),
});

type Out = z.output<typeof output>;

export const searchTool = defineTool({
  name: 'copilot_search',
  title: 'Search my OneDrive (Copilot Search, beta)',
  description: [
    "[BETA] Find files in the signed-in user's OneDrive with Copilot's hybrid semantic and keyword search.",
    'This uses the preview Copilot Search API in Microsoft Graph beta: its behaviour and shape may change without notice.',
    'Returns file urls, titles and a short preview, best match first, paged with nextCursor.',
    'For passages to ground an answer across SharePoint, OneDrive and connectors use copilot_retrieve. Needs a Microsoft 365 Copilot licence; enabled with --enable-beta.',
  ].join(' '),
  instructions: "copilot_search finds files in the user's OneDrive",
  toolset: 'search',
  stability: 'beta',
  api: { name: 'the Copilot Search API (beta)', clouds: ['global'] },
  readOnly: true,
  input,
  output,
  permissions: { delegated: SEARCH_SCOPES, application: [] },
  // A cursor holds Graph's next-page link, whose skip token encodes the query: free text like the query.
  audited: { query: 'text', pageSize: 'value', folder: 'text', cursor: 'text' },
  examples: { query: 'quarterly planning', pageSize: 25, cursor: '(the nextCursor of the previous answer, unchanged)', folder: 'https://contoso-my.sharepoint.com/personal/adele_contoso_com/Documents/Notes' },
  async handle(args, ctx) {
    const data = args.cursor
      ? await searchNextPage(ctx.graph, nextPageOf(await ctx.cursors.open(CURSOR_PURPOSE, args.cursor), ctx.environment.graphBaseUrl), ctx.signal)
      : await searchOneDrive(ctx.graph, { query: args.query, pageSize: args.pageSize, folder: args.folder }, ctx.signal);
    // Search hits carry no sensitivity label, so the policy cannot be applied per hit: withhold every preview.
    const withheld = withholdsAnything(ctx.policy.labels);
    const hits: Out['hits'] = (data.searchHits ?? []).map((h) => {
      const meta = h.resourceMetadata ?? {};
      const str = (k: string) => (typeof meta[k] === 'string' && meta[k] ? (meta[k] as string) : undefined);
      const title = str('title');
      const author = str('author');
      const lastModifiedTime = str('lastModifiedTime');
      return {
        url: h.webUrl,
        ...(title ? { title } : {}),
        ...(h.preview && !withheld ? { preview: h.preview } : {}),
        ...(author ? { author } : {}),
        ...(lastModifiedTime ? { lastModifiedTime } : {}),
      };
    });
    const next = nextPageLink(data);
    const structured: Out = {
      hits,
      ...(data.totalCount !== undefined && data.totalCount !== null ? { totalCount: data.totalCount } : {}),
      ...(next ? { nextCursor: await ctx.cursors.seal(CURSOR_PURPOSE, { u: next }) } : {}),
      ...(withheld ? { withheld: 'policy' as const } : {}),
    };
    return { structured, text: renderText(args.query, structured) };
  },
});

const CURSOR_PURPOSE = 'search-page';

/**
 * The cursor holds Graph's whole nextLink, sealed: it is followed as given, never rebuilt (contract
 * §5.5), and only if it is exactly Search's next-page function on this Graph: a cursor must not turn
 * this tool into a GET of any Graph URL.
 */
function nextPageOf(payload: unknown, graphBaseUrl: string): URL {
  const link = (payload as { u?: unknown } | null)?.u;
  const base = new URL(graphBaseUrl.endsWith('/') ? graphBaseUrl : `${graphBaseUrl}/`);
  try {
    const url = new URL(String(link));
    if (typeof link === 'string' && url.origin === base.origin && url.pathname.toLowerCase() === new URL('beta/copilot/searchNextPage', base).pathname.toLowerCase()) return url;
  } catch {
    // fall through
  }
  throw new AppError('InvalidArgument', 'cursor is not a copilot_search nextCursor', {
    nextStep: 'Pass nextCursor exactly as the previous copilot_search answer gave it, or start again without cursor.',
  });
}

function renderText(query: string, out: Out): string {
  const lines = [`${out.hits.length} OneDrive file(s) for "${query.length > 80 ? `${query.slice(0, 79)}…` : query}"${out.totalCount !== undefined ? ` (${out.totalCount} in all)` : ''}:`];
  out.hits.forEach((h, i) => {
    lines.push(`${i + 1}. ${h.title ?? h.url}\n   ${h.url}`);
    if (h.preview) lines.push(`   > ${h.preview.length > 300 ? `${h.preview.slice(0, 299)}…` : h.preview}`);
  });
  if (out.withheld) lines.push("Previews withheld: this server's sensitivity-label policy is on and Search reports no labels; use copilot_retrieve for content.");
  if (out.nextCursor) lines.push(`More results: call again with cursor "${out.nextCursor}".`);
  return lines.join('\n');
}
