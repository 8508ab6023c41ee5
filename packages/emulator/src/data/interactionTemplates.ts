/**
 * Shared text for the generated Copilot interactions. Records point into these arrays (or hold a
 * short per-record string at most), which keeps 100k+ interactions small in memory.
 */
export const APP_CLASS_PREFIX = 'IPM.SkypeTeams.Message.Copilot.';

export type AppName = 'BizChat' | 'Teams' | 'Word' | 'Excel' | 'PowerPoint' | 'Outlook' | 'WebChat' | 'Loop' | 'OneNote' | 'CoworkChat';

export const APP_WEIGHTS: readonly (readonly [AppName, number])[] = [
  ['BizChat', 34],
  ['Teams', 18],
  ['Word', 10],
  ['Excel', 7],
  ['PowerPoint', 6],
  ['Outlook', 9],
  ['WebChat', 7],
  ['Loop', 3],
  ['OneNote', 3],
  ['CoworkChat', 3],
];

/** `{doc}` and `{person}` are filled per record. */
export const PROMPTS: Record<AppName, readonly string[]> = {
  BizChat: [
    'What should be on my radar from emails last week?',
    'Summarize {doc}',
    'Draft an email to {person} about the project update',
    'What are the key action items from my recent meetings?',
    'Find the latest version of {doc}',
    'What did {person} say about the budget?',
    'Prepare me for my meeting with {person}',
    'What is our travel policy for international flights?',
    'How do I set up the corporate VPN?',
    'How many days of paid time off do I get?',
    'List the open questions in {doc}',
    'Which documents did {person} share with me this week?',
  ],
  Teams: [
    'Recap the meeting so far',
    'What questions are still open?',
    'List the action items from this meeting',
    'What did I miss?',
    'Summarize the discussion about the budget',
    'Who is responsible for the follow-ups?',
    'Were there any disagreements?',
  ],
  Word: [
    'Summarize this document',
    'Rewrite this paragraph to be more concise',
    'Draft a project status update based on {doc}',
    'Create a table of the key dates',
    'Make the tone more formal',
    'Suggest a title for this document',
  ],
  Excel: [
    'Show the totals by region',
    'Highlight the top 10 values in column C',
    'Create a chart of monthly spend',
    'Explain this formula',
    'Add a column that calculates the variance to budget',
  ],
  PowerPoint: [
    'Create a presentation from {doc}',
    'Add a slide about the roadmap',
    'Summarize this presentation',
    'Organize this presentation into sections',
    'Add speaker notes to every slide',
  ],
  Outlook: [
    'Summarize this email thread',
    'Draft a reply accepting the invitation',
    'Coach me on the tone of this email',
    'Draft a polite follow-up to {person}',
    'What does {person} need from me?',
  ],
  WebChat: [
    'Explain the difference between OAuth and OpenID Connect',
    'Give me ideas for a team offsite',
    'What are best practices for writing a press release?',
    'Translate this paragraph into German',
    'Write a short LinkedIn post about our new product launch',
  ],
  Loop: ['Brainstorm ideas for the campaign', 'Create a checklist for the launch', 'Turn these notes into a project plan'],
  OneNote: ['Summarize my notes', 'Create a to-do list from these notes', 'What decisions are recorded on this page?'],
  CoworkChat: ['Plan my week based on my calendar', 'Prepare a briefing for tomorrow\'s meetings', 'Collect the open tasks from my recent emails'],
};

export const RESPONSES: Record<AppName, readonly string[]> = {
  BizChat: [
    'Here are the highlights from last week: two approvals are waiting for you, the budget review moved to Thursday and the agency sent the revised proposal.',
    'Here is a summary of the document. It covers the purpose, the main requirements and the people to contact with questions.',
    'I drafted the email below. You can adjust the tone before sending it.',
    'Your recent meetings produced four action items; two of them are assigned to you and due this week.',
    'I found the latest version, last modified a few days ago.',
    'To set up the corporate VPN, open the VPN client on your corporate device, choose the Contoso-Corp profile and sign in with multi-factor authentication.',
    'Full-time employees receive paid time off each year; unused days can be carried over up to five days.',
    'I could not find anything that matches your request in the files and messages you can access.',
  ],
  Teams: [
    'So far the meeting covered the timeline, the budget and the open risks. No decisions have been made on the budget yet.',
    'Two questions are still open: who owns the vendor follow-up and whether the launch date moves.',
    'Action items: share the updated deck, confirm the dates with the agency and schedule a follow-up review.',
    'You missed a discussion about the launch timeline; the team agreed to keep the current date.',
  ],
  Word: [
    'This document describes the policy, who it applies to and the steps to follow.',
    'Here is a more concise version of the paragraph.',
    'I created a status update with progress, risks and next steps.',
    'I added a table with the key dates and owners.',
  ],
  Excel: [
    'I added a summary table with totals by region.',
    'The top 10 values are now highlighted in light orange.',
    'I created a line chart of monthly spend on a new sheet.',
    'This formula looks up the cost centre and returns its budget for the current month.',
  ],
  PowerPoint: [
    'I created a 10-slide presentation with an agenda, key points and a summary.',
    'I added a roadmap slide with the three priorities for next quarter.',
    'This presentation covers the results, lessons learned and next steps.',
  ],
  Outlook: [
    'The thread discusses the revised timeline; the last message asks you to confirm the budget.',
    'Here is a draft reply accepting the invitation.',
    'The email is clear, but the opening could be warmer and the request more specific.',
  ],
  WebChat: [
    'OAuth 2.0 is an authorisation framework; OpenID Connect adds an identity layer on top of it.',
    'Here are five ideas for a team offsite, from a cooking class to a half-day volunteering project.',
    'A good press release leads with the news, quotes a spokesperson and ends with company boilerplate.',
  ],
  Loop: ['Here are eight campaign ideas grouped by channel.', 'I created a launch checklist with owners and due dates.'],
  OneNote: ['Your notes cover three topics: hiring, the budget and the offsite.', 'I created a to-do list with six items.'],
  CoworkChat: ['Your week has 12 meetings; Tuesday afternoon is the best time for focused work.', 'Here is your briefing for tomorrow\'s four meetings.'],
};

export const APP_DISPLAY_NAMES: Record<AppName, string> = {
  BizChat: 'Microsoft 365 Chat',
  Teams: 'Copilot in Teams',
  Word: 'Copilot in Word',
  Excel: 'Copilot in Excel',
  PowerPoint: 'Copilot in PowerPoint',
  Outlook: 'Copilot in Outlook',
  WebChat: 'Microsoft 365 Chat',
  Loop: 'Copilot in Loop',
  OneNote: 'Copilot in OneNote',
  CoworkChat: 'Microsoft 365 Copilot',
};

/** Adaptive-card JSON strings, built once and shared by every response that carries a card. */
export const ADAPTIVE_CARDS: readonly string[] = RESPONSES.BizChat.map((text) =>
  JSON.stringify({ type: 'AdaptiveCard', version: '1.0', body: [{ type: 'TextBlock', text, wrap: true }] }, null, 2),
);
