/**
 * Join links arrive encoded to different depths (the link itself carries %3a, %40, %7b…, and the
 * query string adds another layer); decoding until stable and lowercasing makes them comparable.
 */
export function normaliseJoinUrl(url: string): string {
  let out = url.trim();
  for (let i = 0; i < 4; i++) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(out);
    } catch {
      break;
    }
    if (decoded === out) break;
    out = decoded;
  }
  return out.toLowerCase();
}

/** The URL from `JoinWebUrl eq '…'` (property name in any case, '' as an escaped quote). */
export function parseJoinUrlFilter(filter: string): string | undefined {
  const match = /^\s*joinWebUrl\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(filter);
  return match?.[1]?.replace(/''/g, "'");
}
