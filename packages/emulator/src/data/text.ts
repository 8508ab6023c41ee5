import type { Rng } from './prng.js';

/** Values for the {slot} placeholders of the text templates. */
const SLOTS: Record<string, readonly string[]> = {
  product: ['Contoso Insight', 'Fabrikam Sync', 'Northwind Analytics', 'Contoso Field App'],
  region: ['EMEA', 'North America', 'APAC', 'Latin America'],
  quarter: ['Q1', 'Q2', 'Q3', 'Q4'],
  amount: ['50', '75', '120', '250', '400', '1,200'],
  percent: ['3', '4', '5', '6', '8', '12'],
  days: ['10', '14', '20', '25', '30'],
  hours: ['4', '8', '12', '24'],
  minutes: ['5', '10', '15', '30'],
  weeks: ['12', '16', '20'],
  count: ['5', '10'],
  client: ['GlobalConnect'],
};

export function fillTemplate(template: string, rng: Rng): string {
  return template.replace(/\{(\w+)\}/g, (whole, slot: string) => {
    const values = SLOTS[slot];
    return values ? rng.pick(values) : whole;
  });
}
