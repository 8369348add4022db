import type { RuleSet } from './ruleTypes';

/** Rule ids added, removed and changed between two versions (a change is any edit of the rule). */
export interface RuleSetDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

/** A compact diff of two rule sets by rule id, for the `rules.reloaded` audit event. */
export function diffRuleSets(before: RuleSet, after: RuleSet): RuleSetDiff {
  const old = new Map(before.rules.map((r) => [r.id, r]));
  const now = new Map(after.rules.map((r) => [r.id, r]));
  const added = [...now.keys()].filter((id) => !old.has(id));
  const removed = [...old.keys()].filter((id) => !now.has(id));
  const changed = [...now.values()]
    .filter((r) => {
      const o = old.get(r.id);
      return o !== undefined && (o.fingerprint !== r.fingerprint || o.index !== r.index);
    })
    .map((r) => r.id);
  return { added, removed, changed };
}
