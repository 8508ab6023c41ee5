/**
 * The delegated permissions the beta Copilot Chat API requires, every one of them (contract §4). The
 * client declares them and the emulator enforces them: one list, so the two cannot drift apart.
 */
export const CHAT_SCOPES: string[] = [
  'Sites.Read.All',
  'Mail.Read',
  'People.Read.All',
  'OnlineMeetingTranscript.Read.All',
  'Chat.Read',
  'ChannelMessage.Read.All',
  'ExternalItem.Read.All',
];
