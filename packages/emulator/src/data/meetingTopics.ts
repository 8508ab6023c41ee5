/**
 * Meeting subjects with the notes and action items Copilot would have drawn from their
 * transcripts. `{attendee}` is filled with an attendee's first name.
 */
export interface MeetingTopic {
  subject: string;
  notes: readonly { title: string; text: string; subpoints: readonly { title: string; text: string }[] }[];
  actions: readonly { title: string; text: string }[];
}

export const MEETING_TOPICS: readonly MeetingTopic[] = [
  {
    subject: 'Weekly Marketing Sync',
    notes: [
      { title: 'Campaign performance', text: 'The team reviewed last week\'s campaign results; paid search conversions rose while social engagement was flat.', subpoints: [{ title: 'Paid search', text: 'Cost per lead dropped after the keyword clean-up.' }, { title: 'Social', text: 'Video posts outperformed static images by a wide margin.' }] },
      { title: 'Upcoming webinar', text: 'Registration for the customer webinar is at 60 percent of the target with two weeks to go.', subpoints: [{ title: 'Promotion', text: '{attendee} will send a reminder to the partner mailing list.' }] },
    ],
    actions: [
      { title: 'Send partner reminder', text: 'Email the partner list about the webinar registration deadline.' },
      { title: 'Refresh social calendar', text: 'Plan two additional video posts for next week.' },
    ],
  },
  {
    subject: 'Q3 Campaign Review',
    notes: [
      { title: 'Results against plan', text: 'The campaign delivered 112 percent of the lead target but only 85 percent of pipeline value.', subpoints: [{ title: 'Lead quality', text: 'Leads from trade shows converted better than webinar leads.' }, { title: 'Budget', text: 'Spend stayed within budget; the contingency was not used.' }] },
      { title: 'Lessons learned', text: 'Landing pages with customer stories converted best and should be reused.', subpoints: [] },
    ],
    actions: [
      { title: 'Share results deck', text: 'Circulate the campaign results deck to sales leadership.' },
      { title: 'Plan Q4 experiments', text: 'Propose three landing page experiments for the next quarter.' },
    ],
  },
  {
    subject: 'Product Roadmap Review',
    notes: [
      { title: 'Roadmap priorities', text: 'Offline support and enterprise reporting remain the top two priorities for the next release.', subpoints: [{ title: 'Offline support', text: 'Engineering confirmed the sync redesign is on track.' }, { title: 'Reporting', text: 'Two design partners will test the new report builder.' }] },
      { title: 'Customer feedback', text: 'Support reported repeated requests for single sign-on and audit logs.', subpoints: [{ title: 'Audit logs', text: 'The team agreed to move audit logs into the next quarter.' }] },
    ],
    actions: [
      { title: 'Update roadmap deck', text: 'Reflect the new audit log timing in the roadmap deck.' },
      { title: 'Recruit design partners', text: 'Confirm two design partners for the report builder preview.' },
      { title: 'Draft release notes', text: 'Prepare a first draft of the release notes for review.' },
    ],
  },
  {
    subject: 'VPN Migration Planning',
    notes: [
      { title: 'Migration timeline', text: 'The move to the new VPN gateway happens region by region over four weekends.', subpoints: [{ title: 'Pilot', text: 'The IT team pilots the new profile first.' }, { title: 'Communication', text: 'Staff receive two emails before their region moves.' }] },
      { title: 'Risks', text: 'Older laptops may need a client update before the migration.', subpoints: [] },
    ],
    actions: [
      { title: 'Publish VPN guide update', text: 'Update the corporate VPN setup guide with the new profile name.' },
      { title: 'Inventory old laptops', text: 'List laptops that still run the old VPN client.' },
    ],
  },
  {
    subject: 'Budget Review',
    notes: [
      { title: 'Quarter-to-date spend', text: 'Operating expenses are four percent below plan, mostly due to lower travel costs.', subpoints: [{ title: 'Travel', text: 'Fewer international trips than planned.' }, { title: 'Software', text: 'Two subscriptions will be consolidated under the IT budget.' }] },
      { title: 'Forecast', text: 'The forecast for the rest of the year stays unchanged pending headcount decisions.', subpoints: [] },
    ],
    actions: [
      { title: 'Submit revised forecast', text: 'Send the revised department forecast before the monthly close.' },
      { title: 'Review software licences', text: 'Check which subscriptions can be cancelled or consolidated.' },
    ],
  },
  {
    subject: 'Security Incident Postmortem',
    notes: [
      { title: 'Timeline', text: 'A phishing email led to one compromised account, which was contained within two hours.', subpoints: [{ title: 'Detection', text: 'The alert came from an impossible-travel sign-in.' }, { title: 'Containment', text: 'Sessions were revoked and the password reset.' }] },
      { title: 'Improvements', text: 'The team agreed to roll out phishing-resistant sign-in for administrators first.', subpoints: [] },
    ],
    actions: [
      { title: 'Roll out security keys', text: 'Order security keys for all administrators.' },
      { title: 'Run phishing simulation', text: 'Schedule a company-wide phishing simulation next month.' },
    ],
  },
  {
    subject: 'New Hire Onboarding Plan',
    notes: [
      { title: 'Start dates', text: 'Four new hires start in the next month across marketing and product.', subpoints: [{ title: 'Equipment', text: 'Laptops are ordered and will be enrolled before day one.' }] },
      { title: 'Buddy assignments', text: 'Each new hire gets a buddy from a different team.', subpoints: [] },
    ],
    actions: [
      { title: 'Assign buddies', text: 'Confirm onboarding buddies for all four new hires.' },
      { title: 'Prepare welcome pack', text: 'Update the first week guide with the new office map.' },
    ],
  },
  {
    subject: 'Brand Refresh Kickoff',
    notes: [
      { title: 'Goals', text: 'The brand refresh should make the website and product feel like one experience.', subpoints: [{ title: 'Scope', text: 'Logo stays; colours, typography and photography are in scope.' }] },
      { title: 'Agency selection', text: 'Two agencies will present proposals in three weeks.', subpoints: [] },
    ],
    actions: [
      { title: 'Send agency brief', text: 'Share the brand refresh brief with the two shortlisted agencies.' },
      { title: 'Collect brand examples', text: 'Gather examples of brands the team admires.' },
    ],
  },
  {
    subject: 'Customer Feedback Readout',
    notes: [
      { title: 'Survey highlights', text: 'Ease of use scored highest; reporting flexibility scored lowest.', subpoints: [{ title: 'Verbatims', text: 'Several customers asked for scheduled exports.' }] },
      { title: 'Next steps', text: 'Product will review the reporting feedback in the next roadmap review.', subpoints: [] },
    ],
    actions: [
      { title: 'Share survey report', text: 'Publish the survey report on the research site.' },
      { title: 'Follow up with detractors', text: 'Call the five customers who gave the lowest scores.' },
    ],
  },
  {
    subject: 'Contract Review: Fabrikam Renewal',
    notes: [
      { title: 'Commercial terms', text: 'Fabrikam asked for a three-year term with a price freeze.', subpoints: [{ title: 'Liability', text: 'Legal will keep the standard liability cap.' }] },
      { title: 'Data processing', text: 'A new data processing agreement is needed because of the added analytics module.', subpoints: [] },
    ],
    actions: [
      { title: 'Draft counterproposal', text: 'Prepare a counterproposal with a two-year term and indexation.' },
      { title: 'Send DPA', text: 'Send the updated data processing agreement to Fabrikam.' },
    ],
  },
];

/** What a colleague says when they mention someone; `{name}` is the mentioned person's first name. */
export const MENTION_UTTERANCES: readonly string[] = [
  '{name}, could you share the updated numbers before Friday?',
  'I think {name} already has the latest version of that deck.',
  'Let\'s ask {name} to take the lead on the follow-up.',
  '{name}, can you confirm the dates with the agency?',
  'We need approval from {name} before we proceed with the budget allocation.',
  'Thanks {name}, that summary was really helpful.',
  '{name} will send the recap to everyone after the meeting.',
];
