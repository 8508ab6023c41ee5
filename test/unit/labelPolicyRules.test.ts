import { describe, expect, it } from 'vitest';
import { NO_WITHHOLDING, labelPolicy, withholdingReason } from '../../src/policy/labelPolicy.js';

const general = { id: 'g-1', name: 'General', priority: 0 };
const confidential = { id: 'c-2', name: 'Confidential\\All Employees', priority: 2 };
const highly = { id: 'h-3', name: 'Highly Confidential\\Restricted', priority: 3 };

describe('label policy', () => {
  it('withholds nothing by default, and never unlabelled content', () => {
    for (const l of [general, confidential, highly, undefined]) expect(withholdingReason(NO_WITHHOLDING, l)).toBeUndefined();
    expect(withholdingReason(labelPolicy({ withholdLabelPriorityAbove: -1 }), undefined)).toBeUndefined();
  });

  it('withholds above a priority', () => {
    const p = labelPolicy({ withholdLabelPriorityAbove: 1 });
    expect(withholdingReason(p, general)).toBeUndefined();
    expect(withholdingReason(p, confidential)).toMatch(/priority 2 is above 1/);
    expect(withholdingReason(p, highly)).toBeTruthy();
    expect(withholdingReason(p, { id: 'x' })).toBeUndefined();
  });

  it('withholds listed labels by id or name, case-insensitively, parents covering sublabels', () => {
    const p = labelPolicy({ withholdLabels: ['C-2', ' highly confidential '] });
    expect(withholdingReason(p, confidential)).toMatch(/withhold list/);
    expect(withholdingReason(p, highly)).toMatch(/withhold list/);
    expect(withholdingReason(p, general)).toBeUndefined();
    expect(withholdingReason(labelPolicy({ withholdLabels: ['Highly'] }), highly)).toBeUndefined();
  });
});
