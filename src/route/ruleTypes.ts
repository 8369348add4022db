import type { NaturalDataset } from '../dicom';
import type { Priority, ResultCondition } from '../pipeline/types';

/**
 * The compiled form of config/rules.yaml (docs/rules.md). Everything here is built once at load
 * by parseRules and frozen; evaluation only reads it.
 */

/** What the validator needs to know about the rest of the node. */
export interface RulesContext {
  /** Model ids found under `<modelsDir>/<id>/manifest.yaml`; null when unknown (not checked). */
  modelIds: string[] | null;
  /** Destination names of the node configuration (node.yaml `destinations`). */
  destinationNames: string[];
}

/** Who sent the series (PS3.8 9.3.2 A-ASSOCIATE-RQ calling/called AE title) and from where. */
export interface RoutingPeer {
  callingAeTitle: string;
  calledAeTitle: string;
  peerAddress: string;
}

/**
 * The input of one evaluation: the headers of every instance of a series (naturalized dcmjs
 * datasets, pixel data not needed) and the peer that sent it. Attributes are read from the
 * first header; facts are computed over all of them (computeFacts).
 */
export interface SeriesRoutingInput {
  headers: NaturalDataset[];
  peer: RoutingPeer;
}

/** A scalar seen by a condition: attribute values are trimmed strings or numbers. */
export type Scalar = string | number;

/** The names of the computed facts (docs/rules.md "Facts"). */
export const FACT_NAMES = [
  'patientAgeYears',
  'patientAgeDays',
  'instanceCount',
  'frameCount',
  'sliceSpacingMm',
  'sliceThicknessMm',
  'pixelSpacingMm',
  'orientation',
  'callingAeTitle',
  'calledAeTitle',
  'peerAddress',
] as const;

export type FactName = (typeof FACT_NAMES)[number];

/** Facts of one series; null when they cannot be computed (the condition is then false). */
export type SeriesFacts = Record<FactName, Scalar | null>;

/** The comparison operators of a leaf condition. */
export const OPERATORS = [
  'equals',
  'notEquals',
  'in',
  'notIn',
  'contains',
  'startsWith',
  'endsWith',
  'regex',
  'lt',
  'lte',
  'gt',
  'gte',
  'between',
  'exists',
  'missing',
] as const;

export type Operator = (typeof OPERATORS)[number];

/** Tests the values an attribute or fact has (never empty: missing is handled before). */
export type ValueTest = (values: readonly Scalar[]) => boolean;

/** A leaf condition, compiled: where it reads, how it tests, and how it reads in a trace. */
export interface LeafCondition {
  kind: 'leaf';
  path: string;
  /** `sequence`: the last keyword is a sequence, seen as its number of items (exists/missing only). */
  source: { attr: string[]; sequence: boolean } | { fact: FactName };
  /** The condition as text, e.g. `Modality in [CR, DX]`. */
  text: string;
  /**
   * The attribute identifies the patient (PatientName, PatientID...): the trace shows
   * `[redacted]` instead of its value, so decisions can be logged and stored without PHI.
   */
  phi: boolean;
  /** Result when the attribute or fact is missing (true only for `exists: false`). */
  whenMissing: boolean;
  /** Result when present: `exists: true` is always true, otherwise the operator's test. */
  test: ValueTest;
}

export interface GroupCondition {
  kind: 'all' | 'any' | 'not';
  path: string;
  text: string;
  children: CompiledCondition[];
}

export type CompiledCondition = LeafCondition | GroupCondition;

/** The actions of one rule, normalised (lists always present). */
export interface RuleThen {
  run: Array<{ model: string; settings: Record<string, unknown> }>;
  deliver: string[];
  forward: string[];
  discard: boolean;
  notify: string[];
  onResult: ResultCondition[];
}

/** One rule, compiled. */
export interface CompiledRule {
  id: string;
  /** Position in the file (rules[index]). */
  index: number;
  description: string;
  priority: Priority;
  level: 'series' | 'study';
  /** Keep evaluating the rules after this one when it matched. */
  continue: boolean;
  /** Applies only when no other rule matched. */
  isDefault: boolean;
  /** null: matches every series. */
  when: CompiledCondition | null;
  then: RuleThen;
  /** Canonical JSON of the rule as written, to tell changed rules apart on reload. */
  fingerprint: string;
}

/** A validated, frozen rules file. */
export interface RuleSet {
  /** First 16 hex characters of the SHA-256 of the file text; every job records it. */
  version: string;
  rules: readonly CompiledRule[];
}
