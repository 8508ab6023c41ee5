import type { SiteKey } from './org.js';

/**
 * Hand-written documents the tests and the demo rely on (see facts.ts). Their vocabulary is
 * deliberately distinctive, so a query for them has a predictable top hit.
 */
export interface AnchorSpec {
  key: 'vpnGuide' | 'benefits' | 'expensePdf' | 'expenseDocx' | 'privateDraft' | 'sharedBudget' | 'boardForecast';
  /** Team site, or the OneDrive of `owner`. */
  site?: SiteKey;
  owner?: string;
  /** Display names (besides the owner) a OneDrive file is shared with. */
  sharedWith?: string[];
  folder: string;
  title: string;
  extension: string;
  author: string;
  modifiedBy: string;
  /** Index into the labels (0 General … 3 Highly Confidential). */
  label: number;
  createdDaysAgo: number;
  modifiedDaysAgo: number;
  chunks: string[];
}

export const ANCHORS: readonly AnchorSpec[] = [
  {
    key: 'vpnGuide',
    site: 'IT',
    folder: 'Guides',
    title: 'Corporate VPN Setup Guide',
    extension: 'docx',
    author: 'Alex Wilber',
    modifiedBy: 'Alex Wilber',
    label: 1,
    createdDaysAgo: 420,
    modifiedDaysAgo: 18,
    chunks: [
      'This guide explains the corporate VPN setup on a Contoso laptop. Setting up the VPN takes about ten minutes.',
      'To configure the VPN, click the network icon on your corporate device, choose the Contoso-Corp VPN profile and select Connect.',
      'You will need to sign in with multi-factor authentication each time you connect to the corporate VPN.',
      'If the VPN profile is missing, open the Company Portal app and install the Corporate VPN package.',
      'Please contact the IT service desk if you still cannot connect after restarting your device.',
    ],
  },
  {
    key: 'benefits',
    site: 'HR',
    folder: 'Benefits',
    title: 'Benefits Enrollment Guide',
    extension: 'pdf',
    author: 'Diego Siciliani',
    modifiedBy: 'Diego Siciliani',
    label: 2,
    createdDaysAgo: 300,
    modifiedDaysAgo: 40,
    chunks: [
      'Our health insurance partner is Lakeshore Health, which offers the Standard and the Premium plan.',
      'Lakeshore Health dental cover includes two check-ups per year and 80 percent of treatment costs.',
      'Enrollment in a Lakeshore Health plan opens every October and closes after three weeks.',
      'Dependants can be added to your plan within 30 days of a qualifying life event.',
    ],
  },
  {
    key: 'expensePdf',
    site: 'HR',
    folder: 'Finance Policies',
    title: 'Expense Reimbursement Policy',
    extension: 'pdf',
    author: 'Johanna Lorenz',
    modifiedBy: 'Lee Gu',
    label: 1,
    createdDaysAgo: 500,
    modifiedDaysAgo: 60,
    chunks: [
      'This expense reimbursement policy applies to every employee who spends money on company business.',
      'Attach itemised receipts to each expense report; card slips alone are not accepted as receipts.',
      'Expense reimbursement is paid within ten working days after your manager approves the expense report.',
    ],
  },
  {
    key: 'expenseDocx',
    site: 'HR',
    folder: 'Finance Policies',
    title: 'Submitting an Expense Report',
    extension: 'docx',
    author: 'Johanna Lorenz',
    modifiedBy: 'Johanna Lorenz',
    label: 0,
    createdDaysAgo: 380,
    modifiedDaysAgo: 25,
    chunks: [
      'Open the expense app, create a new expense report and add one line per receipt.',
      'Expense reports with missing receipts are sent back for reimbursement corrections.',
      'Your manager receives the expense report for approval as soon as you submit it.',
    ],
  },
  {
    key: 'privateDraft',
    owner: 'Megan Bowen',
    folder: 'Documents',
    title: 'Project Nightingale Launch Plan (Draft)',
    extension: 'docx',
    author: 'Megan Bowen',
    modifiedBy: 'Megan Bowen',
    label: 3,
    createdDaysAgo: 45,
    modifiedDaysAgo: 2,
    chunks: [
      'Project Nightingale is the code name for the autumn launch of the new analytics bundle.',
      'The Nightingale launch plan starts with a private preview for ten design partners.',
      'Press outreach for Nightingale begins two weeks before general availability.',
      'Open question: the Nightingale launch budget still needs sign-off from Finance.',
    ],
  },
  {
    key: 'sharedBudget',
    owner: 'Megan Bowen',
    sharedWith: ['Adele Vance', 'Lee Gu'],
    folder: 'Documents',
    title: 'Aurora Trade Show Budget',
    extension: 'xlsx',
    author: 'Megan Bowen',
    modifiedBy: 'Adele Vance',
    label: 2,
    createdDaysAgo: 70,
    modifiedDaysAgo: 6,
    chunks: [
      'The Aurora trade show budget covers the booth, travel and two customer dinners.',
      'Booth construction for Aurora is quoted at 48 thousand USD, including furniture and screens.',
      'Travel for the Aurora team of six is estimated at 14 thousand USD.',
    ],
  },
  {
    key: 'boardForecast',
    site: 'Finance',
    folder: 'Budgets',
    title: 'Board Budget Forecast',
    extension: 'xlsx',
    author: 'Lee Gu',
    modifiedBy: 'Johanna Lorenz',
    label: 3,
    createdDaysAgo: 150,
    modifiedDaysAgo: 9,
    chunks: [
      'The board budget forecast projects revenue growth of 11 percent with a stable operating margin.',
      'A strategic reserve of 2.5 million USD is held back for the acquisition pipeline.',
      'The board forecast assumes hiring in product and support only.',
    ],
  },
];
