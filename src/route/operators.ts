import type { Operator, Scalar, ValueTest } from './ruleTypes';

/** Regex patterns longer than this are refused at load. */
export const MAX_REGEX_LENGTH = 256;
/** A regex is run on at most this many characters of a value (long texts are cut). */
export const MAX_REGEX_INPUT = 1024;

/** Operators that compare text and so accept `ignoreCase`. */
export const TEXT_OPERATORS: ReadonlySet<Operator> = new Set([
  'equals',
  'notEquals',
  'in',
  'notIn',
  'contains',
  'startsWith',
  'endsWith',
  'regex',
]);

const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A value as a number: numbers as they are, numeric text parsed, anything else null. */
export function toNumber(v: Scalar): number | null {
  if (typeof v === 'number') return v;
  const s = v.trim();
  return NUMBER_TEXT.test(s) ? Number(s) : null;
}

/**
 * Builds the test of one operand: a number operand compares numerically (the value read as a
 * number), a text operand compares as text (numbers written in their shortest form).
 */
function scalarMatcher(operand: Scalar, ignoreCase: boolean): (v: Scalar) => boolean {
  if (typeof operand === 'number') return (v) => toNumber(v) === operand;
  const want = ignoreCase ? operand.toLowerCase() : operand;
  return ignoreCase ? (v) => String(v).toLowerCase() === want : (v) => String(v) === want;
}

function textMatcher(
  operand: string,
  ignoreCase: boolean,
  f: (value: string, want: string) => boolean,
): ValueTest {
  const want = ignoreCase ? operand.toLowerCase() : operand;
  return (values) => values.some((v) => f(ignoreCase ? String(v).toLowerCase() : String(v), want));
}

function numberMatcher(f: (x: number) => boolean): ValueTest {
  return (values) =>
    values.some((v) => {
      const x = toNumber(v);
      return x !== null && f(x);
    });
}

/**
 * The test of an operator over the (non-empty) values of an attribute or fact. Multi-valued
 * attributes match when any value matches; the negative operators (notEquals, notIn) match when
 * no value matches. The operand has been checked by the validator already.
 */
export function buildTest(
  op: Operator,
  operand: unknown,
  ignoreCase: boolean,
  regex: RegExp | null,
): ValueTest {
  switch (op) {
    case 'equals': {
      const m = scalarMatcher(operand as Scalar, ignoreCase);
      return (values) => values.some(m);
    }
    case 'notEquals': {
      const m = scalarMatcher(operand as Scalar, ignoreCase);
      return (values) => !values.some(m);
    }
    case 'in': {
      const ms = (operand as Scalar[]).map((o) => scalarMatcher(o, ignoreCase));
      return (values) => values.some((v) => ms.some((m) => m(v)));
    }
    case 'notIn': {
      const ms = (operand as Scalar[]).map((o) => scalarMatcher(o, ignoreCase));
      return (values) => !values.some((v) => ms.some((m) => m(v)));
    }
    case 'contains':
      return textMatcher(operand as string, ignoreCase, (v, w) => v.includes(w));
    case 'startsWith':
      return textMatcher(operand as string, ignoreCase, (v, w) => v.startsWith(w));
    case 'endsWith':
      return textMatcher(operand as string, ignoreCase, (v, w) => v.endsWith(w));
    case 'regex': {
      const re = regex!;
      return (values) => values.some((v) => re.test(String(v).slice(0, MAX_REGEX_INPUT)));
    }
    case 'lt': {
      const n = operand as number;
      return numberMatcher((x) => x < n);
    }
    case 'lte': {
      const n = operand as number;
      return numberMatcher((x) => x <= n);
    }
    case 'gt': {
      const n = operand as number;
      return numberMatcher((x) => x > n);
    }
    case 'gte': {
      const n = operand as number;
      return numberMatcher((x) => x >= n);
    }
    case 'between': {
      const [lo, hi] = operand as [number, number];
      return numberMatcher((x) => x >= lo && x <= hi);
    }
    case 'exists':
    case 'missing':
      // Present values: `exists: true` / `missing: false` hold, the others do not.
      return (op === 'exists') === (operand as boolean) ? () => true : () => false;
  }
}

/** The result for a missing attribute or fact: true only for `exists: false` / `missing: true`. */
export function resultWhenMissing(op: Operator, operand: unknown): boolean {
  if (op === 'exists') return operand === false;
  if (op === 'missing') return operand === true;
  return false;
}
