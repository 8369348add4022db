import type { Priority, RouteActions, RouteDecision, TraceEntry } from '../pipeline/types';
import { str } from '../dicom';
import { computeFacts } from './computeFacts';
import { countItems, readAttribute } from './readAttribute';
import type {
  CompiledCondition,
  CompiledRule,
  RuleSet,
  Scalar,
  SeriesFacts,
  SeriesRoutingInput,
} from './ruleTypes';

const PRIORITY_RANK: Record<Priority, number> = { offpeak: 0, normal: 1, stat: 2 };

interface EvalScope {
  rule: string;
  input: SeriesRoutingInput;
  facts: SeriesFacts;
  trace: TraceEntry[];
}

/** The values a leaf condition sees: attribute values from the first header, or the fact. */
function valuesOf(c: Extract<CompiledCondition, { kind: 'leaf' }>, scope: EvalScope): Scalar[] {
  if ('fact' in c.source) {
    const v = scope.facts[c.source.fact];
    return v === null ? [] : [v];
  }
  const first = scope.input.headers[0];
  if (!first) return [];
  if (c.source.sequence) {
    const n = countItems(first, c.source.attr);
    return n > 0 ? [n] : [];
  }
  return readAttribute(first, c.source.attr);
}

/**
 * Evaluates one condition, appending a trace entry for it (leaves: the value seen; groups: their
 * outcome, after their children). all/any stop at the first child that decides them.
 */
function evalCondition(c: CompiledCondition, scope: EvalScope): boolean {
  if (c.kind === 'leaf') {
    const values = valuesOf(c, scope);
    const result = values.length === 0 ? c.whenMissing : c.test(values);
    const seen = values.length === 0 ? null : values.length === 1 ? values[0] : values;
    const value = c.phi && seen !== null ? '[redacted]' : seen;
    scope.trace.push({ rule: scope.rule, path: c.path, condition: c.text, value, result });
    return result;
  }
  let result: boolean;
  if (c.kind === 'all') {
    result = true;
    for (const child of c.children) {
      if (!evalCondition(child, scope)) {
        result = false;
        break;
      }
    }
  } else {
    let any = false;
    for (const child of c.children) {
      if (evalCondition(child, scope)) {
        any = true;
        break;
      }
    }
    result = c.kind === 'any' ? any : !any;
  }
  scope.trace.push({ rule: scope.rule, path: c.path, condition: c.text, value: null, result });
  return result;
}

/** No actions at all: the base that matched rules add to. */
function emptyActions(): RouteActions {
  return {
    run: [],
    deliver: [],
    forward: [],
    discard: false,
    notify: [],
    onResult: [],
    priority: 'normal',
    level: 'series',
  };
}

function pushUnique(into: string[], from: readonly string[]): void {
  for (const x of from) if (!into.includes(x)) into.push(x);
}

/**
 * Merges the actions of the matched rules, in file order: models and destinations are united
 * (a model listed by two rules runs once, with the settings of the first); the highest priority
 * wins (stat > normal > offpeak); the study level wins over the series level. `discard` is true
 * when nothing matched, or when a matched rule discards and no matched rule runs or forwards.
 */
export function mergeActions(rules: readonly CompiledRule[]): RouteActions {
  const a = emptyActions();
  if (rules.length === 0) {
    a.discard = true;
    return a;
  }
  let discard = false;
  let rank = -1;
  for (const r of rules) {
    for (const m of r.then.run) {
      if (!a.run.some((x) => x.model === m.model))
        a.run.push({ model: m.model, settings: structuredClone(m.settings) });
    }
    pushUnique(a.deliver, r.then.deliver);
    pushUnique(a.forward, r.then.forward);
    pushUnique(a.notify, r.then.notify);
    for (const rc of r.then.onResult)
      a.onResult.push({ ...rc, deliver: [...rc.deliver], notify: [...rc.notify] });
    discard ||= r.then.discard;
    if (PRIORITY_RANK[r.priority] > rank) {
      rank = PRIORITY_RANK[r.priority];
      a.priority = r.priority;
    }
    if (r.level === 'study') a.level = 'study';
  }
  a.discard = discard && a.run.length === 0 && a.forward.length === 0;
  return a;
}

/**
 * Routes one series: evaluates the rules in file order (docs/rules.md "Evaluation"), stopping
 * after a matched rule with `continue: false`; the default rule applies only when no other rule
 * matched. Pure: the same rule set and input always give the same decision, with a trace of every
 * condition evaluated, the value it saw and its result.
 */
export function evaluateRules(
  ruleSet: RuleSet,
  input: SeriesRoutingInput,
  facts: SeriesFacts = computeFacts(input),
): RouteDecision {
  const trace: TraceEntry[] = [];
  const matched: CompiledRule[] = [];
  const fallback = ruleSet.rules.find((r) => r.isDefault) ?? null;
  for (const rule of ruleSet.rules) {
    if (rule.isDefault) continue;
    const scope: EvalScope = { rule: rule.id, input, facts, trace };
    const ok = rule.when === null ? true : evalCondition(rule.when, scope);
    if (rule.when === null) {
      trace.push({
        rule: rule.id,
        path: `rules[${rule.index}]`,
        condition: 'no conditions (every series)',
        value: null,
        result: true,
      });
    }
    if (ok) {
      matched.push(rule);
      if (!rule.continue) break;
    }
  }
  if (fallback) {
    const applies = matched.length === 0;
    trace.push({
      rule: fallback.id,
      path: `rules[${fallback.index}].default`,
      condition: 'default: no other rule matched',
      value: matched.length,
      result: applies,
    });
    if (applies) matched.push(fallback);
  }
  const first = input.headers[0];
  return {
    seriesInstanceUid: (first && str(first, 'SeriesInstanceUID')) ?? '',
    rulesVersion: ruleSet.version,
    matched: matched.map((r) => r.id),
    actions: mergeActions(matched),
    trace,
  };
}
