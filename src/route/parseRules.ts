import { createHash } from 'node:crypto';
import YAML from 'yaml';
import { NodeError } from '../pipeline/errors';
import { compileRules } from './compileRules';
import { isMapping } from './compileCondition';
import type { RuleSet, RulesContext } from './ruleTypes';

/** The version of a rules file: the first 16 hex characters of the SHA-256 of its text. */
export function rulesVersion(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 16);
}

/** Freezes a compiled rule set so nothing can change it while it routes. */
function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v);
  }
  return o;
}

/**
 * Validates the text of a rules file (docs/rules.md) and compiles it. Every problem is listed
 * with its path, e.g. `rules[2].when.all[1].regex: invalid pattern (...)`. Nothing in the file
 * is ever evaluated as code; regular expressions are compiled here, once.
 */
export function validateRules(
  text: string,
  ctx: RulesContext,
): { ok: true; ruleSet: RuleSet } | { ok: false; problems: string[] } {
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const where = e.linePos?.[0] ? `line ${e.linePos[0].line}` : '(root)';
        return `${where}: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`;
      }),
    };
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  const problems: string[] = [];
  if (!isMapping(raw))
    return { ok: false, problems: ['(root): a rules file is a mapping with version: 1 and rules: [...]'] };
  for (const k of Object.keys(raw)) if (k !== 'version' && k !== 'rules') problems.push(`${k}: unknown key`);
  if (raw.version !== 1) problems.push(`version: must be 1 (found ${JSON.stringify(raw.version ?? null)})`);
  const rules = compileRules(raw.rules ?? [], ctx, problems);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, ruleSet: deepFreeze({ version: rulesVersion(text), rules }) };
}

/** Like validateRules, but throws NodeError('RULES_INVALID') whose details list every problem. */
export function parseRules(text: string, ctx: RulesContext): RuleSet {
  const r = validateRules(text, ctx);
  if (!r.ok) throw new NodeError('RULES_INVALID', `rules: ${r.problems.length} problem(s)`, r.problems);
  return r.ruleSet;
}
