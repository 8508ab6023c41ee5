import type { EmuConnection, EmuExternalItem, EmuUser } from '../model.js';
import type { Rng } from './prng.js';
import { fillTemplate } from './text.js';

/** The fictional ServiceNow instance the knowledge-base connectors index. */
const KB_HOST = 'contoso-emu.service-now.com';

export const IT_CONNECTION_ID = 'ContosoITServiceNowKB';
export const HR_CONNECTION_ID = 'ContosoHRServiceNowKB';

interface KbTopic {
  category: string;
  labelTitle: string;
  titles: readonly string[];
  sentences: readonly string[];
}

const IT_KB: readonly KbTopic[] = [
  {
    category: 'Network',
    labelTitle: 'Corporate VPN',
    titles: ['VPN Access', 'VPN Error 809', 'VPN on macOS', 'VPN Certificate Renewal'],
    sentences: [
      'To configure the VPN, click the Wi-Fi icon on your corporate device and select the VPN option.',
      'You will need to sign in with multi-factor authentication to access the corporate VPN.',
      'Error 809 usually means a firewall blocks the VPN ports on the network you are using.',
      'VPN certificates renew automatically when the device is connected to the office network.',
      'Please contact your IT admin if you are continuing to struggle with the VPN.',
    ],
  },
  {
    category: 'Network',
    labelTitle: 'Wi-Fi',
    titles: ['Guest Wi-Fi Access', 'Office Wi-Fi Troubleshooting'],
    sentences: [
      'Guests receive a daily Wi-Fi code from reception.',
      'Forget the network and reconnect if your laptop shows limited connectivity on office Wi-Fi.',
      'The corporate Wi-Fi uses your work account; the guest network is isolated from internal systems.',
    ],
  },
  {
    category: 'Accounts',
    labelTitle: 'Password Reset',
    titles: ['Reset Your Password', 'Account Locked Out', 'Change Your Password Before Expiry'],
    sentences: [
      'Use self-service password reset on the sign-in page to choose a new password.',
      'If your account is locked, wait 15 minutes or call the service desk to unlock it.',
      'Password expiry reminders are sent 14 days before the password expires.',
      'The service desk verifies your identity with your employee number before resetting a password.',
    ],
  },
  {
    category: 'Accounts',
    labelTitle: 'MFA',
    titles: ['Set Up the Authenticator App', 'New Phone and MFA', 'MFA Prompts Not Arriving'],
    sentences: [
      'Open the Authenticator app, add a work account and scan the QR code shown on the security info page.',
      'Before switching phones, enable cloud backup in the Authenticator app.',
      'If MFA prompts do not arrive, check that notifications are allowed for the Authenticator app.',
    ],
  },
  {
    category: 'Hardware',
    labelTitle: 'Laptop',
    titles: ['Laptop Will Not Start', 'Request a Laptop Replacement', 'Docking Station Issues', 'Battery Drains Quickly'],
    sentences: [
      'Hold the power button for 15 seconds to reset a laptop that will not start.',
      'Laptops are replaced every four years or sooner when a repair is not economical.',
      'Update the dock firmware from the Company Portal if external monitors flicker.',
      'Lower screen brightness and close unused apps to extend battery life.',
    ],
  },
  {
    category: 'Hardware',
    labelTitle: 'Printers',
    titles: ['Add a Printer', 'Print Jobs Stuck in Queue', 'Secure Print Release'],
    sentences: [
      'Printers are added automatically; to add one manually, search for the floor number in Settings.',
      'Clear stuck print jobs by restarting the print spooler from the Company Portal.',
      'Secure print holds your job until you tap your badge on the printer.',
    ],
  },
  {
    category: 'Software',
    labelTitle: 'Outlook',
    titles: ['Outlook Keeps Asking for Password', 'Shared Mailbox Access', 'Outlook Search Not Working'],
    sentences: [
      'Sign out of all Office apps and sign in again if Outlook keeps asking for your password.',
      'Request access to a shared mailbox from its owner; it appears in Outlook within an hour.',
      'Rebuild the search index from Outlook options when search results are incomplete.',
    ],
  },
  {
    category: 'Software',
    labelTitle: 'Teams',
    titles: ['Teams Audio Problems', 'Record a Teams Meeting', 'Turn On Meeting Transcription'],
    sentences: [
      'Select the correct microphone and speaker in Teams device settings before joining a meeting.',
      'Meeting recordings are saved to the organiser\'s OneDrive and shared in the meeting chat.',
      'Turn on transcription from the meeting controls so Copilot can create meeting notes afterwards.',
    ],
  },
  {
    category: 'Software',
    labelTitle: 'Software Request',
    titles: ['Request New Software', 'Install Approved Software'],
    sentences: [
      'Approved software can be installed from the Company Portal without an administrator.',
      'Software that is not in the catalogue needs a request with a business justification.',
      'Licences for paid software are charged to your cost centre.',
    ],
  },
  {
    category: 'Security',
    labelTitle: 'Phishing',
    titles: ['Report a Phishing Email', 'I Clicked a Suspicious Link'],
    sentences: [
      'Use the Report Phishing button in Outlook to send a suspicious email to the security team.',
      'If you clicked a suspicious link, disconnect from the network and call the service desk immediately.',
      'The security team never asks for your password by email or phone.',
    ],
  },
];

const HR_KB: readonly KbTopic[] = [
  {
    category: 'Payroll',
    labelTitle: 'Payslips',
    titles: ['Where to Find Your Payslip', 'Payroll Calendar', 'Tax Form Requests'],
    sentences: [
      'Payslips are published in the HR portal two days before payday.',
      'Payroll runs on the 25th of each month, or the working day before.',
      'Tax forms can be downloaded from the HR portal at year end.',
    ],
  },
  {
    category: 'Leave',
    labelTitle: 'Time Off',
    titles: ['Book Time Off', 'Cancel a Leave Request', 'Check Your Leave Balance'],
    sentences: [
      'Book time off in the HR portal; your manager receives the request for approval.',
      'Cancel an approved leave request from the My Requests page.',
      'Your remaining paid time off balance is shown on the HR portal home page.',
    ],
  },
  {
    category: 'Benefits',
    labelTitle: 'Health Insurance',
    titles: ['Add a Dependant to Your Health Plan', 'Submit a Medical Claim'],
    sentences: [
      'Add a dependant to your health plan within 30 days of a qualifying life event.',
      'Submit medical claims through the insurer app with a photo of the invoice.',
    ],
  },
];

/** IT articles first (about 40), then a small HR knowledge base. */
export function generateConnector(rng: Rng, users: readonly EmuUser[]): { connections: EmuConnection[]; externalItems: EmuExternalItem[] } {
  const connections: EmuConnection[] = [
    { id: IT_CONNECTION_ID, name: 'Contoso IT ServiceNow Knowledge Base', queryableProperties: ['Label_Title', 'Category'] },
    { id: HR_CONNECTION_ID, name: 'Contoso HR ServiceNow Knowledge Base', queryableProperties: ['Label_Title', 'Category'] },
  ];
  const it = users.filter((u) => u.department === 'IT');
  const hr = users.filter((u) => u.department === 'Human Resources');
  let number = 10001;
  const externalItems: EmuExternalItem[] = [];
  const add = (connectionId: string, topic: KbTopic, title: string, authors: readonly EmuUser[], restrictTo?: readonly EmuUser[]) => {
    const chunkCount = Math.min(topic.sentences.length, rng.int(2, 4));
    // The first article of a topic keeps its sentences in order, so the canonical answer leads.
    const sentences = title === topic.titles[0] ? topic.sentences.slice(0, chunkCount) : rng.sample(topic.sentences, chunkCount);
    const author = authors.length > 0 && rng.chance(0.7) ? rng.pick(authors).displayName : 'Service Desk';
    externalItems.push({
      id: `KB${number}`,
      connectionId,
      webUrl: `https://${KB_HOST}/sp?id=kb_article&sys_id=${rng.hex(32)}`,
      properties: { title, author, Label_Title: topic.labelTitle, Category: topic.category, Number: `KB${number}` },
      readers: restrictTo ? restrictTo.map((u) => u.id) : 'everyone',
      chunks: sentences.map((s) => fillTemplate(s, rng)),
    });
    number++;
  };
  for (const topic of IT_KB) {
    for (const title of topic.titles) add(IT_CONNECTION_ID, topic, title, it);
    // Second-level articles, some only for the IT team, so connector results also vary by caller.
    add(IT_CONNECTION_ID, topic, `${topic.titles[0] ?? topic.labelTitle}: advanced troubleshooting`, it, rng.chance(0.5) ? it : undefined);
  }
  for (const topic of HR_KB) for (const title of topic.titles) add(HR_CONNECTION_ID, topic, title, hr);
  return { connections, externalItems };
}
