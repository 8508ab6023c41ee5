import type { EmuDocument, EmuInteraction, EmuMeeting, EmuSite, EmuUser } from '../model.js';
import { canReadDocument } from './access.js';
import {
  ADAPTIVE_CARDS,
  APP_CLASS_PREFIX,
  APP_WEIGHTS,
  PROMPTS,
  RESPONSES,
  type AppName,
} from './interactionTemplates.js';
import { createRng, type Rng } from './prng.js';

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;
const HISTORY_DAYS = 180;
/** Interactions at scale 1, across all licensed users. */
const BASE_TOTAL = 5600;
const DEMO_SHARE = 0.26;

type Link = EmuInteraction['links'][number];
type Context = EmuInteraction['contexts'][number];
type Mention = EmuInteraction['mentions'][number];

const APP_CLASSES = Object.fromEntries(APP_WEIGHTS.map(([app]) => [app, APP_CLASS_PREFIX + app])) as Record<AppName, string>;

// Shared empty arrays: most records have no attachments, links, mentions or contexts.
const NONE = Object.freeze([]) as unknown as never[];

export interface InteractionContext {
  users: readonly EmuUser[];
  locales: ReadonlyMap<string, string>;
  demoUser: EmuUser;
  documents: readonly EmuDocument[];
  sites: readonly EmuSite[];
  meetings: readonly EmuMeeting[];
  now: number;
  scale: number;
}

/** Per licensed user, sorted ascending by createdDateTime, with unique epoch-ms ids. */
export function generateInteractions(seed: number, ctx: InteractionContext): Map<string, EmuInteraction[]> {
  const licensed = ctx.users.filter((u) => u.copilotLicense);
  const total = Math.max(0, Math.round(BASE_TOTAL * ctx.scale));
  const demoTarget = Math.round(total * DEMO_SHARE);
  const sitesById = new Map(ctx.sites.map((s) => [s.id, s]));

  // Uneven shares for the other users, normalised so the total stays exact.
  const weightRng = createRng(seed, 'interactions:shares');
  const weights = new Map(licensed.filter((u) => u.id !== ctx.demoUser.id).map((u) => [u.id, 0.8 + 0.4 * weightRng.next()]));
  const weightSum = [...weights.values()].reduce((a, b) => a + b, 0);

  const byUser = new Map<string, EmuInteraction[]>();
  ctx.users.forEach((user, index) => {
    if (!user.copilotLicense) {
      byUser.set(user.id, []);
      return;
    }
    const share = user.id === ctx.demoUser.id ? demoTarget : ((total - demoTarget) * (weights.get(user.id) ?? 0)) / weightSum;
    byUser.set(user.id, userInteractions(createRng(seed, `interactions:${index}`), user, Math.round(share), ctx, sitesById));
  });
  return byUser;
}

function userInteractions(rng: Rng, user: EmuUser, target: number, ctx: InteractionContext, sitesById: ReadonlyMap<string, EmuSite>): EmuInteraction[] {
  const readable = ctx.documents.filter((d) => canReadDocument(sitesById, user.id, d));
  const fileLinks: Link[] = rng.sample(readable, 40).map((d) => ({ linkUrl: `${d.webUrl}?web=1`, displayName: d.filename, linkType: 'File' }));
  const eventLinks: Link[] = ctx.meetings
    .filter((m) => m.attendeeIds.includes(user.id))
    .map((m) => ({ linkUrl: `https://teams.microsoft.com/l/meeting/details?eventId=${encodeURIComponent(m.eventId)}`, displayName: m.subject, linkType: 'Event' }));
  const colleagues = ctx.users.filter((u) => u.id !== user.id);
  const locale = ctx.locales.get(user.id) ?? 'en-us';
  const today = Math.floor(ctx.now / DAY) * DAY;

  const records: EmuInteraction[] = [];
  const times: number[] = [];
  const add = (ms: number, record: EmuInteraction) => {
    times.push(ms);
    records.push(record);
  };
  while (records.length < target) {
    const app = rng.weighted(APP_WEIGHTS);
    let t = today - rng.int(0, HISTORY_DAYS - 1) * DAY + rng.int(7, 18) * HOUR + rng.int(0, 3599) * SECOND + rng.int(0, 999);
    if (t > ctx.now - 10 * 60 * SECOND) t -= DAY;
    const teams = app === 'Teams';
    const sessionId = `19:${teams ? 'meeting_' : ''}${Buffer.from(rng.hex(32), 'hex').toString('base64url')}@thread.v2`;
    const meetingContext: Context[] = teams
      ? [{ contextReference: `https://teams.microsoft.com/threads/${sessionId}`, contextType: 'TeamsMeeting', displayName: 'Teams Meeting Copilot' }]
      : NONE;
    const appClass = APP_CLASSES[app];
    const conversationType = app === 'BizChat' || app === 'WebChat' || app === 'CoworkChat' ? 'bizchat' : 'appchat';
    const turns = rng.weighted([[1, 5], [2, 3], [3, 2], [4, 1]] as const);

    for (let turn = 0; turn < turns && records.length < target; turn++) {
      // CoworkChat records carry no requestId in the data seen so far.
      const requestId = app === 'CoworkChat' ? null : rng.guid();
      const prompt = promptBody(rng, app, readable, colleagues);
      // Same literal shape for every record: V8 keeps them compact and fast to build.
      add(t, {
        id: '',
        userId: user.id,
        sessionId,
        requestId,
        appClass,
        interactionType: 'userPrompt',
        conversationType,
        createdDateTime: '',
        locale,
        bodyContentType: 'text',
        body: prompt.text,
        attachments: NONE,
        links: NONE,
        mentions: prompt.mentions,
        contexts: meetingContext,
      });
      const response = responseParts(rng, app, sessionId, fileLinks, eventLinks);
      add(t + rng.int(250, 900), {
        id: '',
        userId: user.id,
        sessionId,
        requestId,
        appClass,
        interactionType: 'aiResponse',
        conversationType,
        createdDateTime: '',
        locale,
        bodyContentType: response.bodyContentType,
        body: response.body,
        attachments: response.attachments,
        links: response.links,
        mentions: NONE,
        // Known service behaviour: meeting responses sometimes lose the prompt's contexts.
        contexts: teams && rng.chance(0.2) ? NONE : meetingContext,
      });
      t += rng.int(20, 240) * SECOND;
    }
  }

  const order = Array.from(records.keys()).sort((a, b) => (times[a] as number) - (times[b] as number));
  let previous = -Infinity;
  return order.map((index) => {
    const ms = times[index] as number;
    const unique = ms > previous ? ms : previous + 1;
    previous = unique;
    const record = records[index] as EmuInteraction;
    record.id = String(unique);
    record.createdDateTime = new Date(unique).toISOString();
    return record;
  });
}

function promptBody(rng: Rng, app: AppName, readable: readonly EmuDocument[], colleagues: readonly EmuUser[]): { text: string; mentions: Mention[] } {
  const template = rng.pick(PROMPTS[app]);
  let mentions: Mention[] = NONE;
  let text = template;
  if (template.includes('{doc}')) {
    text = text.replace('{doc}', readable.length > 0 ? rng.pick(readable).title : 'the latest plan');
  }
  if (template.includes('{person}')) {
    const person = rng.pick(colleagues);
    text = text.replace('{person}', person.displayName);
    if (rng.chance(0.5)) mentions = [{ mentionId: 0, mentionText: person.displayName, mentionedUserId: person.id }];
  }
  return { text, mentions };
}

type ResponseParts = Pick<EmuInteraction, 'bodyContentType' | 'body' | 'attachments' | 'links'>;

function responseParts(rng: Rng, app: AppName, sessionId: string, fileLinks: readonly Link[], eventLinks: readonly Link[]): ResponseParts {
  const index = rng.int(0, RESPONSES[app].length - 1);
  const text = RESPONSES[app][index] as string;
  switch (app) {
    case 'BizChat': {
      const links: Link[] = [];
      if (fileLinks.length > 0 && rng.chance(0.4)) links.push(...rng.sample(fileLinks, rng.int(1, 2)));
      if (eventLinks.length > 0 && rng.chance(0.2)) links.push(rng.pick(eventLinks));
      if (rng.chance(0.5)) {
        const attachmentId = rng.hex(32);
        return {
          bodyContentType: 'html',
          body: `<attachment id="${attachmentId}"></attachment>`,
          attachments: [{ attachmentId, contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: ADAPTIVE_CARDS[index] ?? null, name: null }],
          links: links.length > 0 ? links : NONE,
        };
      }
      return { bodyContentType: 'html', body: paragraph(text), attachments: NONE, links: links.length > 0 ? links : NONE };
    }
    case 'Teams':
      if (rng.chance(0.4)) {
        return {
          bodyContentType: 'text',
          body: `${text} <attachment id="${sessionId}"></attachment>`,
          attachments: [{ attachmentId: sessionId, contentType: 'reference', contentUrl: `https://teams.microsoft.com/threads/${sessionId}`, content: null, name: 'Teams Meeting Copilot' }],
          links: NONE,
        };
      }
      return { bodyContentType: 'text', body: text, attachments: NONE, links: NONE };
    case 'WebChat':
    case 'CoworkChat':
      return { bodyContentType: 'html', body: paragraph(text), attachments: NONE, links: NONE };
    case 'Word':
    case 'Outlook':
      return { bodyContentType: 'text', body: text, attachments: NONE, links: fileLinks.length > 0 && rng.chance(0.2) ? [rng.pick(fileLinks)] : NONE };
    default:
      return { bodyContentType: 'text', body: text, attachments: NONE, links: NONE };
  }
}

const paragraphs = new Map<string, string>();

/** One shared html string per template, instead of one per record. */
function paragraph(text: string): string {
  let html = paragraphs.get(text);
  if (html === undefined) {
    html = `<p>${text}</p>`;
    paragraphs.set(text, html);
  }
  return html;
}
