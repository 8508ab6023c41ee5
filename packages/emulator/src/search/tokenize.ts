/**
 * Text normalisation shared by indexing and querying: lowercase, split on anything that is not a
 * letter or digit, drop stopwords, then a light suffix stemmer so "guides", "configuring" and
 * "configured" meet "guide" and "configure".
 */
const STOPWORDS = new Set(
  (
    'a about above after again all also am an and any are as at be been before being below between both but by can could ' +
    'did do does doing down during each few for from further had has have having he her here hers him his how i if in ' +
    'into is it its itself just me more most my myself no nor not now of off on once only or other our ours out over own ' +
    'please same she should so some such than that the their theirs them then there these they this those through to too ' +
    'under until up very was we were what when where which while who whom why will with would you your yours'
  ).split(' '),
);

const WORD_SPLIT = /[^\p{L}\p{N}]+/u;

/** Lowercased words in order, without stemming or stopword removal (for phrase matching). */
export function words(text: string): string[] {
  return text.toLowerCase().split(WORD_SPLIT).filter((w) => w.length > 0);
}

/**
 * Phrasal verbs that documents also write as one word ("set up the VPN" / "VPN Setup Guide"): joined
 * before stopwords go, as search engines match compounds, so the particle ("up", a stopword) is not
 * lost and the bare verb ("set", also the stem of "Goal Setting") does not carry the query.
 */
const COMPOUNDS: ReadonlyMap<string, string> = new Map([
  ['set up', 'setup'],
  ['sign in', 'signin'],
  ['log in', 'login'],
  ['sign up', 'signup'],
  ['roll out', 'rollout'],
  ['check in', 'checkin'],
]);

/** Index and query terms. */
export function tokenize(text: string): string[] {
  const terms: string[] = [];
  const all = words(text);
  for (let i = 0; i < all.length; i++) {
    const word = all[i] as string;
    const compound = i + 1 < all.length ? COMPOUNDS.get(`${word} ${all[i + 1]}`) : undefined;
    if (compound !== undefined) {
      terms.push(compound);
      i++;
      continue;
    }
    if (STOPWORDS.has(word)) continue;
    terms.push(stem(word));
  }
  return terms;
}

const DOUBLE_CONSONANT = /([bcdfgkmnprt])\1$/;

export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  let w = word;
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(ss|us|is)$/.test(w)) w = w.slice(0, -1);

  // "-ment" nouns meet their verbs ("reimbursement" / "reimbursing", "requirement" / "required").
  if (w.endsWith('ment') && w.length - 4 >= 5) w = w.slice(0, -4);
  else if (w.endsWith('ing') && w.length - 3 >= 3) w = undouble(w.slice(0, -3));
  else if (w.endsWith('ed') && w.length - 2 >= 3) w = undouble(w.slice(0, -2));

  if (w.endsWith('e') && w.length > 4) w = w.slice(0, -1);
  return w;
}

function undouble(w: string): string {
  return DOUBLE_CONSONANT.test(w) ? w.slice(0, -1) : w;
}
