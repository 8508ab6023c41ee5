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

/** The friendly name of an appClass; unknown future classes keep their suffix, lower-camel-cased. */
export function friendlyApp(appClass: string): string {
  for (const [name, value] of Object.entries(APP_CLASSES)) if (value.toLowerCase() === appClass.toLowerCase()) return name;
  const suffix = appClass.startsWith(PREFIX) ? appClass.slice(PREFIX.length) : appClass;
  return suffix ? suffix[0]!.toLowerCase() + suffix.slice(1) : appClass;
}
