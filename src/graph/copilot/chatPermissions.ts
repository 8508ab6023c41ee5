/**
 * The delegated permissions the beta Copilot Chat API requires, every one of them (contract §4). The
 * emulator enforces its own copy, taken from Microsoft's reference: a mistake here fails the tests.
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
