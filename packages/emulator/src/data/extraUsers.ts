import type { EmuUser } from '../model.js';
import { DOMAIN } from './org.js';
import type { Rng } from './prng.js';

/**
 * People beyond the named ten (`users: N`), for load and isolation tests with many distinct
 * users. All hold a Copilot licence; departments rotate so restricted sites gain members too.
 * They come after the named people, from their own stream, so those keep their ids.
 */
const FIRST = [
  'Aaliyah', 'Bruno', 'Chiara', 'Dmitri', 'Esther', 'Farid', 'Greta', 'Hiroshi', 'Ines', 'Jonas',
  'Keiko', 'Luca', 'Maren', 'Nikhil', 'Olga', 'Pablo', 'Quinn', 'Rosa', 'Sven', 'Tamsin',
  'Umar', 'Vera', 'Wendell', 'Ximena', 'Yusuf', 'Zara', 'Anouk', 'Bjorn', 'Carmen', 'Desmond',
  'Elif', 'Felix', 'Gwen', 'Hamid', 'Ingrid', 'Jorge', 'Kaito', 'Leila', 'Mateo', 'Nadia',
];
const LAST = [
  'Abbott', 'Brandt', 'Castillo', 'Dubois', 'Eriksen', 'Fischer', 'Grant', 'Haddad', 'Ishikawa', 'Jovanovic',
  'Kowalski', 'Lindqvist', 'Moreau', 'Nakamura', 'Okafor', 'Petrov', 'Quintero', 'Rahman', 'Schulz', 'Tanaka',
  'Ueda', 'Varga', 'Whitfield', 'Xu', 'Yilmaz', 'Zimmer', 'Alvarez', 'Bianchi', 'Chowdhury', 'Dimitrov',
  'Evans', 'Ferreira', 'Gallagher', 'Horvath', 'Iversen', 'Jensen', 'Kaur', 'Larsen', 'Mbeki', 'Novak',
];

const ROLES: readonly { department: string; jobTitle: string }[] = [
  { department: 'Marketing', jobTitle: 'Marketing Specialist' },
  { department: 'Product', jobTitle: 'Product Designer' },
  { department: 'IT', jobTitle: 'Support Engineer' },
  { department: 'Human Resources', jobTitle: 'HR Advisor' },
  { department: 'Finance', jobTitle: 'Financial Analyst' },
  { department: 'Operations', jobTitle: 'Operations Coordinator' },
  { department: 'Legal', jobTitle: 'Compliance Officer' },
  { department: 'Sales', jobTitle: 'Account Executive' },
];

export const MAX_USERS = 1000;

export function generateExtraUsers(rng: Rng, count: number): { user: EmuUser; locale: string }[] {
  const out: { user: EmuUser; locale: string }[] = [];
  for (let i = 0; i < count; i++) {
    // Walks the name grid diagonally: every (first, last) pair at most once for i < 1,600.
    const first = FIRST[i % FIRST.length] as string;
    const last = LAST[(i + Math.floor(i / FIRST.length)) % LAST.length] as string;
    const role = ROLES[i % ROLES.length] as (typeof ROLES)[number];
    const upn = `${first}.${last}@${DOMAIN}`.toLowerCase();
    out.push({
      user: { id: rng.guid(), upn, displayName: `${first} ${last}`, mail: upn, jobTitle: role.jobTitle, department: role.department, copilotLicense: true },
      locale: 'en-us',
    });
  }
  return out;
}
