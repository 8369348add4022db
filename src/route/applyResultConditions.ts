import type { Finding, Measurement, ResultCondition, RouteActions } from '../pipeline/types';

/** One result condition that held, with the result that made it hold. */
export interface FiredResultCondition {
  /** Index in `actions.onResult`. */
  index: number;
  condition: ResultCondition;
  /** The finding label or measurement name that satisfied it. */
  matchedBy: string;
  /** The probability or measured value seen (null for a finding without probability). */
  value: number | null;
}

export interface ResultConditionOutcome {
  /** The route's destinations plus those added by fired conditions, without repeats. */
  deliver: string[];
  /** The route's webhooks plus those added by fired conditions, without repeats. */
  notify: string[];
  fired: FiredResultCondition[];
}

const same = (a: string, b: string): boolean =>
  a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0;

/** A finding is named by its label or its code value (case-insensitive). */
function findingMatches(rc: ResultCondition, f: Finding): boolean {
  if (!same(f.label, rc.finding!) && !same(f.code.value, rc.finding!)) return false;
  if (rc.probabilityGte !== undefined && !(f.probability !== null && f.probability >= rc.probabilityGte))
    return false;
  if (rc.present !== undefined) return f.present === rc.present;
  // With only a probability threshold the threshold decides; with nothing, the finding must be present.
  return rc.probabilityGte !== undefined || f.present;
}

function measurementMatches(rc: ResultCondition, m: Measurement): boolean {
  if (!same(m.name, rc.measurement!) && !same(m.code.value, rc.measurement!)) return false;
  if (rc.valueGte !== undefined && !(m.value >= rc.valueGte)) return false;
  if (rc.valueLte !== undefined && !(m.value <= rc.valueLte)) return false;
  return true;
}

/**
 * Applies the result-conditioned actions of a route (rules.yaml `then.when`) once inference has
 * produced findings and measurements: each condition that holds adds its destinations and
 * webhooks. Pure.
 */
export function applyResultConditions(
  actions: Pick<RouteActions, 'deliver' | 'notify' | 'onResult'>,
  findings: readonly Finding[],
  measurements: readonly Measurement[],
): ResultConditionOutcome {
  const deliver = [...actions.deliver];
  const notify = [...actions.notify];
  const fired: FiredResultCondition[] = [];
  actions.onResult.forEach((rc, index) => {
    let hit: { by: string; value: number | null } | null = null;
    if (rc.finding !== undefined) {
      const f = findings.find((x) => findingMatches(rc, x));
      if (f) hit = { by: f.label, value: f.probability };
    } else if (rc.measurement !== undefined) {
      const m = measurements.find((x) => measurementMatches(rc, x));
      if (m) hit = { by: m.name, value: m.value };
    }
    if (!hit) return;
    fired.push({ index, condition: rc, matchedBy: hit.by, value: hit.value });
    for (const d of rc.deliver) if (!deliver.includes(d)) deliver.push(d);
    for (const n of rc.notify) if (!notify.includes(n)) notify.push(n);
  });
  return { deliver, notify, fired };
}
