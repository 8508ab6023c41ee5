import type { EmuLabel, EmuReaders, EmuSite, EmuUser } from '../model.js';
import type { Rng } from './prng.js';

/** The fictional company. Names are fixed; ids come from the seed. */
export const DOMAIN = 'contoso-emu.example';
export const SP_HOST = 'contoso-emu.sharepoint.com';
export const MY_HOST = 'contoso-emu-my.sharepoint.com';
export const COMPANY = 'Contoso';

interface PersonSpec {
  first: string;
  last: string;
  jobTitle: string;
  department: string;
  licensed: boolean;
  locale: string;
}

/** The first person is the demo user. Two people have no Copilot licence. */
const PEOPLE: readonly PersonSpec[] = [
  { first: 'Megan', last: 'Bowen', jobTitle: 'Marketing Manager', department: 'Marketing', licensed: true, locale: 'en-us' },
  { first: 'Adele', last: 'Vance', jobTitle: 'Product Manager', department: 'Product', licensed: true, locale: 'en-us' },
  { first: 'Alex', last: 'Wilber', jobTitle: 'IT Administrator', department: 'IT', licensed: true, locale: 'en-gb' },
  { first: 'Diego', last: 'Siciliani', jobTitle: 'HR Manager', department: 'Human Resources', licensed: true, locale: 'es-es' },
  { first: 'Johanna', last: 'Lorenz', jobTitle: 'Finance Controller', department: 'Finance', licensed: true, locale: 'de-de' },
  { first: 'Lee', last: 'Gu', jobTitle: 'Chief Financial Officer', department: 'Finance', licensed: true, locale: 'en-us' },
  { first: 'Nestor', last: 'Wilke', jobTitle: 'Director of Operations', department: 'Operations', licensed: true, locale: 'en-us' },
  { first: 'Patti', last: 'Fernandez', jobTitle: 'General Counsel', department: 'Legal', licensed: true, locale: 'en-us' },
  { first: 'Grady', last: 'Archie', jobTitle: 'Senior Designer', department: 'Product', licensed: false, locale: 'en-us' },
  { first: 'Isaiah', last: 'Langer', jobTitle: 'Sales Representative', department: 'Sales', licensed: false, locale: 'en-us' },
];

/** The named people; `users: N` adds generated ones after them. */
export const NAMED_USER_COUNT = PEOPLE.length;

export interface GeneratedPeople {
  users: EmuUser[];
  locales: Map<string, string>;
}

export function generateUsers(rng: Rng): GeneratedPeople {
  const locales = new Map<string, string>();
  const users = PEOPLE.map((p) => {
    const upn = `${p.first}.${p.last}@${DOMAIN}`.toLowerCase();
    const user: EmuUser = {
      id: rng.guid(),
      upn,
      displayName: `${p.first} ${p.last}`,
      mail: upn,
      jobTitle: p.jobTitle,
      department: p.department,
      copilotLicense: p.licensed,
    };
    locales.set(user.id, p.locale);
    return user;
  });
  return { users, locales };
}

export function generateLabels(rng: Rng): EmuLabel[] {
  return [
    { id: rng.guid(), displayName: 'General', tooltip: 'Business data that is not meant for the public but can be shared with partners if needed.', priority: 0, color: '#13A10E' },
    { id: rng.guid(), displayName: 'Internal', tooltip: 'Business data for Contoso employees only. Do not share outside the company.', priority: 1, color: '#0078D4' },
    { id: rng.guid(), displayName: 'Confidential\\All Employees', tooltip: 'Sensitive business data that could cause damage if shared with unauthorised people. Protected for all employees.', priority: 2, color: '#FF8C00' },
    { id: rng.guid(), displayName: 'Highly Confidential\\Restricted', tooltip: 'Very sensitive business data that would cause serious damage if shared. Access is limited to named people.', priority: 3, color: '#D13438' },
  ];
}

export type SiteKey = 'HR' | 'IT' | 'Finance' | 'Marketing' | 'Legal' | 'Product';

interface SiteSpec {
  key: SiteKey;
  /** Departments whose members may read a restricted site; undefined = everyone. */
  restrictedTo?: readonly string[];
  /** Extra readers of a restricted site, by display name. */
  alsoReaders?: readonly string[];
}

const SITES: readonly SiteSpec[] = [
  { key: 'HR' },
  { key: 'IT' },
  { key: 'Finance', restrictedTo: ['Finance'], alsoReaders: ['Nestor Wilke'] },
  { key: 'Marketing' },
  { key: 'Legal', restrictedTo: ['Legal'], alsoReaders: ['Lee Gu', 'Diego Siciliani'] },
  { key: 'Product' },
];

/** Team sites first, in SITES order; then one personal site (OneDrive) per user, in user order. */
export function generateSites(rng: Rng, users: readonly EmuUser[]): EmuSite[] {
  const teamSites = SITES.map((spec): EmuSite => {
    let readers: EmuReaders = 'everyone';
    if (spec.restrictedTo) {
      const names = new Set(spec.alsoReaders ?? []);
      readers = users
        .filter((u) => spec.restrictedTo?.includes(u.department) || names.has(u.displayName))
        .map((u) => u.id);
    }
    return { id: rng.guid(), name: spec.key, webUrl: `https://${SP_HOST}/sites/${spec.key}`, readers };
  });
  const personalSites = users.map(
    (u): EmuSite => ({
      id: rng.guid(),
      name: `OneDrive - ${u.displayName}`,
      webUrl: oneDriveRoot(u),
      readers: [u.id],
      ownerId: u.id,
    }),
  );
  return [...teamSites, ...personalSites];
}

export function oneDriveRoot(user: EmuUser): string {
  return `https://${MY_HOST}/personal/${user.upn.replace(/[@.-]/g, '_')}`;
}

export function userByName(users: readonly EmuUser[], displayName: string): EmuUser {
  const user = users.find((u) => u.displayName === displayName);
  if (!user) throw new Error(`generator: unknown person ${displayName}`);
  return user;
}
