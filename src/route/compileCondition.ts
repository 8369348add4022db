import { dcmjs } from '../dicom';
import { MAX_REGEX_LENGTH, TEXT_OPERATORS, buildTest, resultWhenMissing } from './operators';
import { FACT_NAMES, OPERATORS, type CompiledCondition, type FactName, type Operator } from './ruleTypes';

/** Conditions nested deeper than this are refused. */
export const MAX_CONDITION_DEPTH = 32;

const FACTS: ReadonlySet<string> = new Set(FACT_NAMES);
/** Attributes that identify a patient or person (PS3.15 E.1 basic profile, a subset): never traced. */
const PHI_KEYWORDS: ReadonlySet<string> = new Set([
  'PatientName',
  'PatientID',
  'PatientBirthDate',
  'PatientBirthTime',
  'PatientAddress',
  'PatientTelephoneNumbers',
  'OtherPatientIDs',
  'OtherPatientNames',
  'OtherPatientIDsSequence',
  'PatientMotherBirthName',
  'IssuerOfPatientID',
  'MedicalRecordLocator',
  'ReferringPhysicianName',
  'PerformingPhysicianName',
  'OperatorsName',
  'NameOfPhysiciansReadingStudy',
  'RequestingPhysician',
  'AccessionNumber',
  'InstitutionName',
  'InstitutionAddress',
]);

const OPERATOR_SET: ReadonlySet<string> = new Set(OPERATORS);
const LEAF_KEYS: ReadonlySet<string> = new Set(['attr', 'fact', 'ignoreCase', ...OPERATORS]);

interface DictionaryEntry {
  vr: string;
}
const nameMap = (dcmjs as { data: { DicomMetaDictionary: { nameMap: Record<string, DictionaryEntry> } } })
  .data.DicomMetaDictionary.nameMap;

/** The VR of a keyword in the data dictionary (PS3.6 6), or null when it is not a keyword. */
export function keywordVr(keyword: string): string | null {
  if (!Object.prototype.hasOwnProperty.call(nameMap, keyword)) return null;
  return nameMap[keyword]!.vr;
}

export function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Compiles one condition of a rule's `when` (docs/rules.md "Conditions"), appending every
 * problem as `path: message`. Returns null when the condition is invalid.
 */
export function compileCondition(
  raw: unknown,
  path: string,
  problems: string[],
  depth = 0,
): CompiledCondition | null {
  if (depth > MAX_CONDITION_DEPTH) {
    problems.push(`${path}: conditions nested deeper than ${MAX_CONDITION_DEPTH} levels`);
    return null;
  }
  if (!isMapping(raw)) {
    problems.push(`${path}: a condition must be a mapping (all, any, not, or attr/fact with an operator)`);
    return null;
  }
  const groupKeys = (['all', 'any', 'not'] as const).filter((k) => k in raw);
  if (groupKeys.length > 0) return compileGroup(raw, groupKeys, path, problems, depth);
  if ('attr' in raw || 'fact' in raw) return compileLeaf(raw, path, problems);
  problems.push(`${path}: a condition needs one of all, any, not, attr or fact`);
  return null;
}

function compileGroup(
  raw: Record<string, unknown>,
  keys: Array<'all' | 'any' | 'not'>,
  path: string,
  problems: string[],
  depth: number,
): CompiledCondition | null {
  if (keys.length > 1) {
    problems.push(
      `${path}: use one of all, any, not per condition (found ${keys.join(', ')}); nest them instead`,
    );
    return null;
  }
  const kind = keys[0]!;
  let ok = true;
  for (const k of Object.keys(raw)) {
    if (k !== kind) {
      problems.push(`${path}.${k}: unknown key beside ${kind}`);
      ok = false;
    }
  }
  const value = raw[kind];
  const childPath = `${path}.${kind}`;
  let list: unknown[];
  if (Array.isArray(value)) {
    list = value;
    if (list.length === 0) {
      problems.push(`${childPath}: needs at least one condition`);
      return null;
    }
  } else if (kind === 'not' && isMapping(value)) {
    list = [value];
  } else {
    problems.push(`${childPath}: must be a list of conditions${kind === 'not' ? ' or one condition' : ''}`);
    return null;
  }
  const children: CompiledCondition[] = [];
  list.forEach((c, i) => {
    const p = Array.isArray(value) ? `${childPath}[${i}]` : childPath;
    const compiled = compileCondition(c, p, problems, depth + 1);
    if (compiled) children.push(compiled);
    else ok = false;
  });
  if (!ok) return null;
  const text =
    kind === 'not' ? (Array.isArray(value) ? 'none of' : 'not') : kind === 'all' ? 'all of' : 'any of';
  return { kind, path, text, children };
}

function compileLeaf(
  raw: Record<string, unknown>,
  path: string,
  problems: string[],
): CompiledCondition | null {
  const before = problems.length;
  for (const k of Object.keys(raw)) {
    if (!LEAF_KEYS.has(k)) problems.push(`${path}.${k}: unknown key (operators: ${OPERATORS.join(', ')})`);
  }
  let source: { attr: string[]; sequence: boolean } | { fact: FactName } | null = null;
  let name = '';
  if ('attr' in raw && 'fact' in raw) {
    problems.push(`${path}: give either attr or fact, not both`);
  } else if ('attr' in raw) {
    name = typeof raw.attr === 'string' ? raw.attr : '';
    source = checkAttrPath(raw.attr, `${path}.attr`, problems);
  } else {
    name = typeof raw.fact === 'string' ? raw.fact : '';
    if (typeof raw.fact !== 'string' || !FACTS.has(raw.fact)) {
      problems.push(
        `${path}.fact: unknown fact ${JSON.stringify(raw.fact)} (facts: ${FACT_NAMES.join(', ')})`,
      );
    } else {
      source = { fact: raw.fact as FactName };
    }
  }
  const ops = Object.keys(raw).filter((k) => OPERATOR_SET.has(k)) as Operator[];
  if (ops.length !== 1) {
    problems.push(
      ops.length === 0
        ? `${path}: needs one operator (${OPERATORS.join(', ')})`
        : `${path}: has ${ops.length} operators (${ops.join(', ')}); use all to combine conditions`,
    );
    return null;
  }
  const op = ops[0]!;
  const operand = raw[op];
  const ignoreCase = raw.ignoreCase ?? false;
  if (typeof ignoreCase !== 'boolean') problems.push(`${path}.ignoreCase: must be true or false`);
  else if (ignoreCase && !TEXT_OPERATORS.has(op))
    problems.push(`${path}.ignoreCase: does not apply to ${op}`);
  checkOperand(op, operand, `${path}.${op}`, problems);
  if (source && 'sequence' in source && source.sequence && op !== 'exists' && op !== 'missing') {
    problems.push(
      `${path}.attr: ${name} is a sequence; test an attribute inside it (${name}.Keyword) or use exists`,
    );
  }
  let regex: RegExp | null = null;
  if (op === 'regex' && typeof operand === 'string' && operand.length <= MAX_REGEX_LENGTH) {
    try {
      regex = new RegExp(operand, ignoreCase === true ? 'i' : '');
    } catch (e) {
      problems.push(`${path}.regex: invalid pattern (${(e as Error).message})`);
    }
  }
  if (problems.length > before || !source) return null;
  const ic = ignoreCase === true;
  return {
    kind: 'leaf',
    path,
    source,
    phi: 'attr' in source && source.attr.some((k) => PHI_KEYWORDS.has(k)),
    text: `${name} ${op} ${JSON.stringify(operand)}${ic ? ' (ignoreCase)' : ''}`,
    whenMissing: resultWhenMissing(op, operand),
    test: buildTest(op, operand, ic, regex),
  };
}

/** Checks `Keyword` or `SequenceKeyword.Keyword...` against the data dictionary (PS3.6 6). */
function checkAttrPath(
  raw: unknown,
  path: string,
  problems: string[],
): { attr: string[]; sequence: boolean } | null {
  if (typeof raw !== 'string' || raw.length === 0) {
    problems.push(`${path}: must be a DICOM keyword, or a dotted path through sequences`);
    return null;
  }
  const parts = raw.split('.');
  let ok = true;
  let lastVr = '';
  parts.forEach((p, i) => {
    const vr = keywordVr(p);
    if (vr === null) {
      problems.push(`${path}: unknown DICOM keyword ${JSON.stringify(p)}`);
      ok = false;
    } else if (i < parts.length - 1 && vr !== 'SQ') {
      problems.push(`${path}: ${p} is not a sequence (VR ${vr}), so nothing can follow it`);
      ok = false;
    }
    lastVr = vr ?? '';
  });
  return ok ? { attr: parts, sequence: lastVr === 'SQ' } : null;
}

const isScalar = (v: unknown): v is string | number =>
  typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));

function checkOperand(op: Operator, v: unknown, path: string, problems: string[]): void {
  switch (op) {
    case 'equals':
    case 'notEquals':
      if (!isScalar(v)) problems.push(`${path}: must be a text or a number`);
      return;
    case 'in':
    case 'notIn':
      if (!Array.isArray(v) || v.length === 0 || !v.every(isScalar)) {
        problems.push(`${path}: must be a non-empty list of texts or numbers`);
      }
      return;
    case 'contains':
    case 'startsWith':
    case 'endsWith':
      if (typeof v !== 'string' || v.length === 0) problems.push(`${path}: must be a non-empty text`);
      return;
    case 'regex':
      if (typeof v !== 'string' || v.length === 0) problems.push(`${path}: must be a non-empty text`);
      else if (v.length > MAX_REGEX_LENGTH)
        problems.push(`${path}: pattern longer than ${MAX_REGEX_LENGTH} characters`);
      return;
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte':
      if (typeof v !== 'number' || !Number.isFinite(v)) problems.push(`${path}: must be a number`);
      return;
    case 'between':
      if (
        !Array.isArray(v) ||
        v.length !== 2 ||
        !v.every((x) => typeof x === 'number' && Number.isFinite(x))
      ) {
        problems.push(`${path}: must be [low, high], two numbers`);
      } else if ((v[0] as number) > (v[1] as number)) {
        problems.push(`${path}: low ${v[0]} is above high ${v[1]}`);
      }
      return;
    case 'exists':
    case 'missing':
      if (typeof v !== 'boolean') problems.push(`${path}: must be true or false`);
      return;
  }
}
