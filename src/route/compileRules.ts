import type { Priority, ResultCondition } from '../pipeline/types';
import { compileCondition, isMapping } from './compileCondition';
import type { CompiledRule, RuleThen, RulesContext } from './ruleTypes';

const RULE_ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const RULE_KEYS = new Set(['id', 'description', 'priority', 'when', 'then', 'continue', 'default', 'level']);
const THEN_KEYS = new Set(['run', 'deliver', 'forward', 'discard', 'notify', 'when']);
const RESULT_KEYS = new Set([
  'finding',
  'probabilityGte',
  'present',
  'measurement',
  'valueGte',
  'valueLte',
  'deliver',
  'notify',
]);
const PRIORITIES: readonly Priority[] = ['stat', 'normal', 'offpeak'];

/** Sorted-key JSON, so two rules written with keys in another order compare equal. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isMapping(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * Compiles the `rules` list of a rules file, appending every problem as `path: message`.
 * Rules with problems are left out of the result; the caller refuses the file when any
 * problem was found, so a partly valid file never routes.
 */
export function compileRules(raw: unknown, ctx: RulesContext, problems: string[]): CompiledRule[] {
  if (!Array.isArray(raw)) {
    problems.push('rules: must be a list of rules');
    return [];
  }
  const out: CompiledRule[] = [];
  const seen = new Map<string, number>();
  raw.forEach((r, i) => {
    const path = `rules[${i}]`;
    const rule = compileRule(r, i, path, ctx, problems);
    if (typeof (r as { id?: unknown })?.id === 'string') {
      const id = (r as { id: string }).id;
      const first = seen.get(id);
      if (first !== undefined) problems.push(`${path}.id: duplicate id "${id}" (also rules[${first}])`);
      else seen.set(id, i);
    }
    if (rule) out.push(rule);
  });
  checkDefaults(raw, problems);
  checkReachable(out, problems);
  return out;
}

function compileRule(
  raw: unknown,
  index: number,
  path: string,
  ctx: RulesContext,
  problems: string[],
): CompiledRule | null {
  if (!isMapping(raw)) {
    problems.push(`${path}: a rule must be a mapping with id, when and then`);
    return null;
  }
  const before = problems.length;
  for (const k of Object.keys(raw)) if (!RULE_KEYS.has(k)) problems.push(`${path}.${k}: unknown key`);
  const id = raw.id;
  if (typeof id !== 'string' || !RULE_ID.test(id)) {
    problems.push(`${path}.id: required; lower-case letters, digits and -, at most 64 characters`);
  }
  const description = raw.description ?? '';
  if (typeof description !== 'string') problems.push(`${path}.description: must be a text`);
  const priority = raw.priority ?? 'normal';
  if (!PRIORITIES.includes(priority as Priority))
    problems.push(`${path}.priority: must be one of ${PRIORITIES.join(', ')}`);
  const level = raw.level ?? 'series';
  if (level !== 'series' && level !== 'study') problems.push(`${path}.level: must be series or study`);
  const cont = raw.continue ?? false;
  if (typeof cont !== 'boolean') problems.push(`${path}.continue: must be true or false`);
  const isDefault = raw.default ?? false;
  if (typeof isDefault !== 'boolean') problems.push(`${path}.default: must be true or false`);
  if (isDefault === true && raw.when !== undefined) {
    problems.push(`${path}.when: a default rule has no conditions (it applies when no other rule matched)`);
  }
  const when = raw.when === undefined ? null : compileCondition(raw.when, `${path}.when`, problems);
  const then = compileThen(raw.then, `${path}.then`, ctx, problems);
  if (problems.length > before || !then) return null;
  return {
    id: id as string,
    index,
    description: description as string,
    priority: priority as Priority,
    level: level as 'series' | 'study',
    continue: cont as boolean,
    isDefault: isDefault as boolean,
    when,
    then,
    fingerprint: canonicalJson(raw),
  };
}

/** A list of texts, or one text standing for a list of one. */
function textList(v: unknown, path: string, problems: string[], what: string): string[] {
  if (v === undefined) return [];
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || !list.every((x) => typeof x === 'string' && x.length > 0)) {
    problems.push(`${path}: must be a list of ${what}`);
    return [];
  }
  return [...new Set(list as string[])];
}

function checkDestinations(names: string[], path: string, ctx: RulesContext, problems: string[]): void {
  names.forEach((n) => {
    if (!ctx.destinationNames.includes(n)) {
      const known = ctx.destinationNames.length > 0 ? ctx.destinationNames.join(', ') : 'none configured';
      problems.push(`${path}: unknown destination "${n}" (destinations: ${known})`);
    }
  });
}

function checkUrls(urls: string[], path: string, problems: string[]): void {
  for (const u of urls) {
    let ok = false;
    try {
      const url = new URL(u);
      ok = url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      ok = false;
    }
    if (!ok) problems.push(`${path}: "${u}" is not an http(s) URL`);
  }
}

function compileThen(raw: unknown, path: string, ctx: RulesContext, problems: string[]): RuleThen | null {
  if (raw === undefined) {
    problems.push(`${path}: required (run, forward, discard or notify)`);
    return null;
  }
  if (!isMapping(raw)) {
    problems.push(`${path}: must be a mapping of actions`);
    return null;
  }
  const before = problems.length;
  for (const k of Object.keys(raw)) if (!THEN_KEYS.has(k)) problems.push(`${path}.${k}: unknown action`);
  const run = compileRun(raw.run, `${path}.run`, ctx, problems);
  const deliver = textList(raw.deliver, `${path}.deliver`, problems, 'destination names');
  checkDestinations(deliver, `${path}.deliver`, ctx, problems);
  const forward = textList(raw.forward, `${path}.forward`, problems, 'destination names');
  checkDestinations(forward, `${path}.forward`, ctx, problems);
  const notify = textList(raw.notify, `${path}.notify`, problems, 'webhook URLs');
  checkUrls(notify, `${path}.notify`, problems);
  const discard = raw.discard ?? false;
  if (typeof discard !== 'boolean') problems.push(`${path}.discard: must be true or false`);
  const onResult = compileResultConditions(raw.when, `${path}.when`, ctx, problems);
  if (discard === true && (run.length > 0 || forward.length > 0 || deliver.length > 0 || notify.length > 0)) {
    problems.push(`${path}.discard: cannot be combined with run, deliver, forward or notify`);
  }
  if (
    run.length === 0 &&
    forward.length === 0 &&
    notify.length === 0 &&
    deliver.length === 0 &&
    onResult.length === 0 &&
    discard !== true &&
    problems.length === before
  ) {
    problems.push(`${path}: needs at least one of run, forward, notify or discard`);
  }
  if (run.length === 0 && deliver.length > 0)
    problems.push(`${path}.deliver: delivers model results, so it needs run`);
  if (run.length === 0 && raw.when !== undefined)
    problems.push(`${path}.when: conditions on results need run`);
  if (problems.length > before) return null;
  return { run, deliver, forward, discard: discard === true, notify, onResult };
}

function compileRun(raw: unknown, path: string, ctx: RulesContext, problems: string[]): RuleThen['run'] {
  if (raw === undefined) return [];
  const list = typeof raw === 'string' || isMapping(raw) ? [raw] : raw;
  if (!Array.isArray(list)) {
    problems.push(`${path}: must be a list of model ids or { model, settings }`);
    return [];
  }
  const out: RuleThen['run'] = [];
  list.forEach((e, i) => {
    const p = Array.isArray(raw) ? `${path}[${i}]` : path;
    let model: unknown;
    let settings: unknown = {};
    if (typeof e === 'string') model = e;
    else if (isMapping(e)) {
      for (const k of Object.keys(e))
        if (k !== 'model' && k !== 'settings') problems.push(`${p}.${k}: unknown key`);
      model = e.model;
      settings = e.settings ?? {};
      if (!isMapping(settings)) problems.push(`${p}.settings: must be a mapping`);
    }
    if (typeof model !== 'string' || model.length === 0) {
      problems.push(`${p}: must be a model id or { model: id, settings: {...} }`);
      return;
    }
    if (ctx.modelIds !== null && !ctx.modelIds.includes(model)) {
      const known = ctx.modelIds.length > 0 ? ctx.modelIds.join(', ') : 'none installed';
      problems.push(`${p}: unknown model "${model}" (models: ${known})`);
    }
    if (out.some((r) => r.model === model)) problems.push(`${p}: model "${model}" listed twice`);
    out.push({ model, settings: isMapping(settings) ? structuredClone(settings) : {} });
  });
  return out;
}

function compileResultConditions(
  raw: unknown,
  path: string,
  ctx: RulesContext,
  problems: string[],
): ResultCondition[] {
  if (raw === undefined) return [];
  const list = isMapping(raw) ? [raw] : raw;
  if (!Array.isArray(list)) {
    problems.push(`${path}: must be a list of result conditions`);
    return [];
  }
  const out: ResultCondition[] = [];
  list.forEach((e, i) => {
    const p = Array.isArray(raw) ? `${path}[${i}]` : path;
    if (!isMapping(e)) {
      problems.push(`${p}: must be a mapping like { finding: label, probabilityGte: 0.8, notify: [...] }`);
      return;
    }
    const before = problems.length;
    for (const k of Object.keys(e)) if (!RESULT_KEYS.has(k)) problems.push(`${p}.${k}: unknown key`);
    const hasFinding = e.finding !== undefined;
    const hasMeasurement = e.measurement !== undefined;
    if (hasFinding === hasMeasurement) problems.push(`${p}: give either finding or measurement`);
    if (hasFinding && (typeof e.finding !== 'string' || e.finding.length === 0))
      problems.push(`${p}.finding: must be a label`);
    if (hasMeasurement && (typeof e.measurement !== 'string' || e.measurement.length === 0)) {
      problems.push(`${p}.measurement: must be a measurement name`);
    }
    const num = (k: string, min = -Infinity, max = Infinity): number | undefined => {
      const v = e[k];
      if (v === undefined) return undefined;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
        problems.push(`${p}.${k}: must be a number${min > -Infinity ? ` from ${min} to ${max}` : ''}`);
        return undefined;
      }
      return v;
    };
    const probabilityGte = num('probabilityGte', 0, 1);
    const valueGte = num('valueGte');
    const valueLte = num('valueLte');
    if (e.present !== undefined && typeof e.present !== 'boolean')
      problems.push(`${p}.present: must be true or false`);
    if (hasMeasurement && (e.probabilityGte !== undefined || e.present !== undefined)) {
      problems.push(`${p}: probabilityGte and present apply to a finding`);
    }
    if (hasFinding && (e.valueGte !== undefined || e.valueLte !== undefined)) {
      problems.push(`${p}: valueGte and valueLte apply to a measurement`);
    }
    const deliver = textList(e.deliver, `${p}.deliver`, problems, 'destination names');
    checkDestinations(deliver, `${p}.deliver`, ctx, problems);
    const notify = textList(e.notify, `${p}.notify`, problems, 'webhook URLs');
    checkUrls(notify, `${p}.notify`, problems);
    if (deliver.length === 0 && notify.length === 0) problems.push(`${p}: needs deliver or notify`);
    if (problems.length > before) return;
    const rc: ResultCondition = { deliver, notify };
    if (hasFinding) rc.finding = e.finding as string;
    if (hasMeasurement) rc.measurement = e.measurement as string;
    if (probabilityGte !== undefined) rc.probabilityGte = probabilityGte;
    if (typeof e.present === 'boolean') rc.present = e.present;
    if (valueGte !== undefined) rc.valueGte = valueGte;
    if (valueLte !== undefined) rc.valueLte = valueLte;
    out.push(rc);
  });
  return out;
}

function checkDefaults(raw: unknown[], problems: string[]): void {
  const defaults = raw.map((r, i) => (isMapping(r) && r.default === true ? i : -1)).filter((i) => i >= 0);
  for (const i of defaults.slice(1))
    problems.push(`rules[${i}].default: only one default rule (the first is rules[${defaults[0]}])`);
}

/**
 * A rule without conditions matches every series: the rules after it can never be reached when
 * it has `continue: false`, and the default rule never applies once something always matches.
 */
function checkReachable(rules: CompiledRule[], problems: string[]): void {
  let stopper: CompiledRule | null = null;
  let catchAll: CompiledRule | null = null;
  for (const r of rules) {
    if (r.isDefault) continue;
    if (stopper) {
      problems.push(
        `rules[${r.index}]: can never be reached: rules[${stopper.index}] (${stopper.id}) matches every series and has continue: false`,
      );
      continue;
    }
    if (r.when === null) {
      catchAll ??= r;
      if (!r.continue) stopper = r;
    }
  }
  if (catchAll) {
    for (const r of rules) {
      if (r.isDefault) {
        problems.push(
          `rules[${r.index}]: default rule can never apply: rules[${catchAll.index}] (${catchAll.id}) matches every series`,
        );
      }
    }
  }
}
