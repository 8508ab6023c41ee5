import type { FileModeResult } from './fileMode.js';
import type { OutExchange } from './shape.js';

export interface PageView {
  user?: { id: string; upn?: string } | undefined;
  window?: { since: string; until: string } | undefined;
  count: number;
  exchanges?: OutExchange[] | undefined;
  nextCursor?: string | undefined;
}

export function renderPageText(out: PageView): string {
  const who = out.user?.upn ?? out.user?.id ?? 'the user';
  const exchanges = out.exchanges ?? [];
  const lines = [
    `${out.count} interaction(s) in ${exchanges.length} exchange(s) for ${who}${out.window ? ` between ${out.window.since} and ${out.window.until}` : ''}${out.nextCursor ? `; more available: call again with cursor "${out.nextCursor}"` : ''}.`,
  ];
  for (const ex of exchanges.slice(0, 50)) {
    const first = ex.interactions[0];
    lines.push(`- ${first?.time ?? 'unknown time'} [${ex.app}]${first?.type === 'prompt' ? '' : ' (no prompt in this page)'}`);
    for (const i of ex.interactions) lines.push(`  ${i.type === 'prompt' ? 'Q' : 'A'}: ${clip(i.text)}`);
  }
  if (exchanges.length > 50) lines.push(`… ${exchanges.length - 50} more exchange(s) in the structured result.`);
  return lines.join('\n');
}

export function renderFileText(r: FileModeResult): string {
  const users = r.users.length === 1 ? (r.users[0]!.upn ?? r.users[0]!.id) : `${r.users.length} users`;
  const head = r.pages === 0 && r.complete ? `Nothing to do: the export of ${users} into ${r.path} was already complete` : `Wrote ${r.written} interaction(s) of ${users} to ${r.path}`;
  const lines = [
    `${head}; the file holds ${r.interactions} interaction(s) (one JSON object per line, ${r.bytes} bytes)${r.resumed ? ', continued from its cursor' : ''}.`,
    r.complete
      ? 'The export is complete.'
      : `Not complete yet (${r.users.filter((u) => !u.complete).length} user(s) unfinished): call again with the same arguments to continue from ${r.cursorFile}.`,
  ];
  if (r.discardedBytes > 0) lines.push(`${r.discardedBytes} bytes written after the last recorded page were cut off and fetched again.`);
  return lines.join('\n');
}

function clip(s: string): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > 200 ? `${one.slice(0, 199)}…` : one;
}
