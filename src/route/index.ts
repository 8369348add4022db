/**
 * The route stage (ARCHITECTURE.md): config/rules.yaml, validated, hot-reloaded, and a pure
 * evaluator that says which rule matched, on which condition, with which value (docs/rules.md).
 */
export { parseRules, validateRules, rulesVersion } from './parseRules';
export { evaluateRules, mergeActions } from './evaluateRules';
export { computeFacts, parseAgeString, orientationName } from './computeFacts';
export {
  applyResultConditions,
  type FiredResultCondition,
  type ResultConditionOutcome,
} from './applyResultConditions';
export { RulesStore, type RulesStoreOptions, type ReloadOutcome } from './rulesStore';
export { diffRuleSets, type RuleSetDiff } from './diffRuleSets';
export { scanModelIds } from './scanModelIds';
export {
  FACT_NAMES,
  OPERATORS,
  type RuleSet,
  type RulesContext,
  type SeriesRoutingInput,
  type RoutingPeer,
  type SeriesFacts,
  type CompiledRule,
  type FactName,
  type Operator,
} from './ruleTypes';
