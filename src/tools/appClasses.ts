/** Friendly names for the Copilot surfaces behind the export API's `appClass` values. */
const PREFIX = 'IPM.SkypeTeams.Message.Copilot.';

export const APP_CLASSES = {
  bizChat: `${PREFIX}BizChat`,
  teams: `${PREFIX}Teams`,
  word: `${PREFIX}Word`,
  excel: `${PREFIX}Excel`,
  powerPoint: `${PREFIX}PowerPoint`,
  outlook: `${PREFIX}Outlook`,
  webChat: `${PREFIX}WebChat`,
  loop: `${PREFIX}Loop`,
  oneNote: `${PREFIX}OneNote`,
  whiteboard: `${PREFIX}Whiteboard`,
  forms: `${PREFIX}Forms`,
  coworkChat: `${PREFIX}CoworkChat`,
} as const;

export type AppName = keyof typeof APP_CLASSES;
export const APP_NAMES = Object.keys(APP_CLASSES) as [AppName, ...AppName[]];

/**
 * appClass (as documented, and lower-cased) → friendly name, built once: friendlyApp runs for
 * every exported line, and scanning APP_CLASSES there (Object.entries + lower-casing each value) was ~7 % of everything the
 * file export allocated (issue 17, bench/exportBench.js with a sampling heap profile).
 */
const BY_CLASS = new Map<string, AppName>(Object.entries(APP_CLASSES).flatMap(([name, value]): [string, AppName][] => [[value, name as AppName], [value.toLowerCase(), name as AppName]]));

/** The friendly name of an appClass; unknown future classes keep their suffix, lower-camel-cased. */
export function friendlyApp(appClass: string): string {
  // Graph's own spelling hits first; any other casing still matches, as before.
  const known = BY_CLASS.get(appClass) ?? BY_CLASS.get(appClass.toLowerCase());
  if (known) return known;
  const suffix = appClass.startsWith(PREFIX) ? appClass.slice(PREFIX.length) : appClass;
  return suffix ? suffix[0]!.toLowerCase() + suffix.slice(1) : appClass;
}
