/**
 * Plain text of an interaction body: HTML stripped, entities decoded, and `<attachment id>` placeholders
 * replaced by what the attachment says (adaptive card text blocks) or its name.
 */
export interface AttachmentLike {
  attachmentId?: string | null;
  contentType?: string | null;
  content?: string | null;
  name?: string | null;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

export function cardText(content: string | null | undefined): string | undefined {
  if (!content) return undefined;
  let card: unknown;
  try {
    card = JSON.parse(content);
  } catch {
    return undefined;
  }
  const texts: string[] = [];
  const walk = (node: unknown, depth: number) => {
    if (depth > 20 || !node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach((n) => walk(n, depth + 1));
    const obj = node as Record<string, unknown>;
    if ((obj['type'] === 'TextBlock' || obj['type'] === 'TextRun') && typeof obj['text'] === 'string') texts.push(obj['text']);
    for (const v of Object.values(obj)) if (v && typeof v === 'object') walk(v, depth + 1);
  };
  walk(card, 0);
  return texts.length ? texts.join('\n') : undefined;
}

export function bodyToPlainText(body: { contentType?: string | null; content?: string | null } | null | undefined, attachments: AttachmentLike[] = []): string {
  const raw = body?.content ?? '';
  // Built at the first placeholder only: most bodies have none, and this runs for every exported line.
  let byId: Map<string, AttachmentLike> | undefined;
  const withAttachments = raw.replace(/<attachment\s+id="([^"]*)"\s*>\s*<\/attachment>/gi, (_m, id: string) => {
    byId ??= new Map(attachments.filter((a) => a.attachmentId).map((a) => [a.attachmentId!, a]));
    const a = byId.get(id);
    if (!a) return '';
    const text = cardText(a.content);
    return text ? `\n${text}\n` : a.name ? ` [${a.name}] ` : '';
  });
  // Every pattern here is linear in the body, which a user typed: `[^<>]` stops a tag scan at the
  // next "<" (not the end of the text), and the space run before a newline is matched from its start only.
  const isHtml = (body?.contentType ?? '').toLowerCase() === 'html' || /<\/?[a-z][^<>]*>/i.test(withAttachments);
  const text = isHtml
    ? decodeEntities(withAttachments.replace(/<(br|\/p|\/div|\/li)\s*\/?>/gi, '\n').replace(/<[^<>]+>/g, ''))
    : withAttachments;
  return text.replace(/(?<![ \t])[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').replace(/[ \t]{2,}/g, ' ').trim();
}
