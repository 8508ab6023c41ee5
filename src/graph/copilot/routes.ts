/**
 * Every Graph route the server calls, as a template: the circuit breaker, the per-route policies and
 * the audit log key on these (a bounded set), never on a path with ids in it.
 */
export const ROUTES = {
  me: 'GET /me',
  licenseDetails: 'GET /me/licenseDetails',
  user: 'GET /users/{id}',
  retrieval: 'POST /copilot/retrieval',
  exportInteractions: 'GET /copilot/users/{id}/interactionHistory/getAllEnterpriseInteractions',
  onlineMeetings: 'GET /me/onlineMeetings',
  onlineMeeting: 'GET /me/onlineMeetings/{id}',
  calendarView: 'GET /me/calendarView',
  connections: 'GET /external/connections',
  aiInsights: 'GET /copilot/users/{id}/onlineMeetings/{id}/aiInsights',
  aiInsight: 'GET /copilot/users/{id}/onlineMeetings/{id}/aiInsights/{id}',
  createConversation: 'POST /copilot/conversations',
  chatOverStream: 'POST /copilot/conversations/{id}/chatOverStream',
  search: 'POST /copilot/search',
  searchNextPage: 'GET /copilot/searchNextPage',
  usageReport: 'GET /copilot/reports/{report}',
} as const;

export type Route = (typeof ROUTES)[keyof typeof ROUTES];

/** "Files.Read.All (delegated)": how 403 advice names what a call needs. */
export function delegated(scopes: readonly string[]): string[] {
  return scopes.map((s) => `${s} (delegated)`);
}
