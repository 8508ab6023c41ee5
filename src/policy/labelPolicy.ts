/**
 * Which sensitivity-labelled content may reach the model. A withheld hit is still listed (url,
 * title, label) so the model can say the document exists and cite it; only its text stays here.
 * The default policy withholds nothing.
 */
export interface LabelPolicy {
  /** Withhold content whose label priority is greater than this (Purview: higher = more sensitive). */
  withholdPriorityAbove: number | undefined;
  /** Label ids or display names whose content is withheld (case-insensitive; a parent name covers its sublabels). */
  withholdLabels: readonly string[];
}

export interface LabelInfo {
  id: string;
  name?: string | undefined;
  priority?: number | undefined;
}

export const NO_WITHHOLDING: LabelPolicy = { withholdPriorityAbove: undefined, withholdLabels: [] };

export function labelPolicy(opts: { withholdLabelPriorityAbove?: number | undefined; withholdLabels?: readonly string[] | undefined }): LabelPolicy {
  return {
    withholdPriorityAbove: opts.withholdLabelPriorityAbove,
    withholdLabels: (opts.withholdLabels ?? []).map((l) => l.trim()).filter(Boolean),
  };
}

export function withholdsAnything(policy: LabelPolicy): boolean {
  return policy.withholdPriorityAbove !== undefined || policy.withholdLabels.length > 0;
}

/**
 * Why this label's content is withheld, or undefined when it may be shown. Unlabelled content is
 * never withheld: the policy is about labels, and Graph omits labels for connector items.
 */
export function withholdingReason(policy: LabelPolicy, label: LabelInfo | undefined): string | undefined {
  if (!label) return undefined;
  const limit = policy.withholdPriorityAbove;
  if (limit !== undefined && label.priority !== undefined && label.priority > limit) return `label priority ${label.priority} is above ${limit}`;
  const id = label.id.toLowerCase();
  const name = label.name?.toLowerCase();
  for (const blocked of policy.withholdLabels) {
    const b = blocked.toLowerCase();
    // Purview names sublabels "Parent\Child": blocking the parent blocks all of its children.
    if (b === id || (name !== undefined && (b === name || name.startsWith(`${b}\\`)))) return `label "${label.name ?? label.id}" is on the withhold list`;
  }
  return undefined;
}
