import { createHash } from 'node:crypto';
import { NodeError } from '../../../src/pipeline/errors';
import { parseRules, validateRules, type RulesContext } from '../../../src/route';

const ctx: RulesContext = { modelIds: ['cxr-findings', 'brain-gwm'], destinationNames: ['pacs', 'results'] };

function problemsOf(text: string, c: RulesContext = ctx): string[] {
  const r = validateRules(text, c);
  if (r.ok) throw new Error('expected problems, the file was valid');
  return r.problems;
}

const VALID = `version: 1
rules:
  - id: adult-cxr-frontal
    description: Adult chest X-ray, frontal views
    priority: normal
    when:
      all:
        - { attr: Modality, in: [CR, DX] }
        - { attr: BodyPartExamined, equals: chest, ignoreCase: true }
        - { attr: ViewPosition, in: [PA, AP] }
        - { fact: patientAgeYears, gte: 18 }
    then:
      run: [cxr-findings]
      deliver: [pacs]
      when:
        - { finding: pneumothorax, probabilityGte: 0.8, deliver: [results], notify: ['https://hooks.example/ptx'] }
    continue: false
  - id: fallback
    default: true
    then: { discard: true }
`;

describe('parseRules / validateRules', () => {
  it('compiles the example of the issue, with its version = first 16 hex of sha256', () => {
    const rs = parseRules(VALID, ctx);
    expect(rs.version).toBe(createHash('sha256').update(VALID).digest('hex').slice(0, 16));
    expect(rs.rules.map((r) => [r.id, r.isDefault, r.continue, r.priority, r.level])).toEqual([
      ['adult-cxr-frontal', false, false, 'normal', 'series'],
      ['fallback', true, false, 'normal', 'series'],
    ]);
    expect(rs.rules[0]!.then.onResult).toEqual([
      {
        finding: 'pneumothorax',
        probabilityGte: 0.8,
        deliver: ['results'],
        notify: ['https://hooks.example/ptx'],
      },
    ]);
    expect(Object.isFrozen(rs.rules[0])).toBe(true);
  });

  it('accepts model entries with settings, and checks nothing about models when the list is unknown', () => {
    const text = `version: 1
rules:
  - id: a
    when: { attr: Modality, equals: MR }
    then: { run: [{ model: anything, settings: { threshold: 0.4 } }, other], deliver: [results] }
`;
    const rs = parseRules(text, { modelIds: null, destinationNames: ['results'] });
    expect(rs.rules[0]!.then.run).toEqual([
      { model: 'anything', settings: { threshold: 0.4 } },
      { model: 'other', settings: {} },
    ]);
    expect(problemsOf(text, { modelIds: [], destinationNames: ['results'] })).toEqual([
      'rules[0].then.run[0]: unknown model "anything" (models: none installed)',
      'rules[0].then.run[1]: unknown model "other" (models: none installed)',
    ]);
  });

  it('lists every problem with its path', () => {
    const text = `version: 1
rules:
  - id: Bad_Id
    priority: urgent
    when:
      all:
        - { attr: Modality, in: [CR] }
        - { attr: SeriesDescription, regex: '(unclosed', ignoreCase: maybe }
        - { attr: NotAKeyword, equals: x }
        - { attr: Modality.CodeValue, equals: x }
        - { fact: shoeSize, gt: 3 }
        - { attr: Modality, lt: ten }
        - { attr: Modality, equals: CR, contains: C }
        - { attr: Modality, gt: 1, ignoreCase: true }
        - { attr: Modality, between: [5, 1] }
        - { attr: Modality, equalz: CR }
        - { any: [] }
        - { all: [{ attr: Modality, equals: CR }], any: [{ attr: Modality, equals: CR }] }
        - { attr: ProcedureCodeSequence, equals: x }
    then: { run: [nope], deliver: [nowhere], notify: [ftp://x], frobnicate: 1 }
  - id: dup
    then: { discard: true, run: [brain-gwm] }
  - id: dup
    when: { attr: Modality, exists: yes }
    then: { deliver: [pacs] }
    extra: 1
`;
    expect(problemsOf(text)).toEqual([
      'rules[0].id: required; lower-case letters, digits and -, at most 64 characters',
      'rules[0].priority: must be one of stat, normal, offpeak',
      'rules[0].when.all[1].ignoreCase: must be true or false',
      'rules[0].when.all[1].regex: invalid pattern (Invalid regular expression: /(unclosed/: Unterminated group)',
      'rules[0].when.all[2].attr: unknown DICOM keyword "NotAKeyword"',
      'rules[0].when.all[3].attr: Modality is not a sequence (VR CS), so nothing can follow it',
      'rules[0].when.all[4].fact: unknown fact "shoeSize" (facts: patientAgeYears, patientAgeDays, instanceCount, frameCount, sliceSpacingMm, sliceThicknessMm, pixelSpacingMm, orientation, callingAeTitle, calledAeTitle, peerAddress)',
      'rules[0].when.all[5].lt: must be a number',
      'rules[0].when.all[6]: has 2 operators (equals, contains); use all to combine conditions',
      'rules[0].when.all[7].ignoreCase: does not apply to gt',
      'rules[0].when.all[8].between: low 5 is above high 1',
      'rules[0].when.all[9].equalz: unknown key (operators: equals, notEquals, in, notIn, contains, startsWith, endsWith, regex, lt, lte, gt, gte, between, exists, missing)',
      'rules[0].when.all[9]: needs one operator (equals, notEquals, in, notIn, contains, startsWith, endsWith, regex, lt, lte, gt, gte, between, exists, missing)',
      'rules[0].when.all[10].any: needs at least one condition',
      'rules[0].when.all[11]: use one of all, any, not per condition (found all, any); nest them instead',
      'rules[0].when.all[12].attr: ProcedureCodeSequence is a sequence; test an attribute inside it (ProcedureCodeSequence.Keyword) or use exists',
      'rules[0].then.frobnicate: unknown action',
      'rules[0].then.run[0]: unknown model "nope" (models: cxr-findings, brain-gwm)',
      'rules[0].then.deliver: unknown destination "nowhere" (destinations: pacs, results)',
      'rules[0].then.notify: "ftp://x" is not an http(s) URL',
      'rules[1].then.discard: cannot be combined with run, deliver, forward or notify',
      'rules[2].extra: unknown key',
      'rules[2].when.exists: must be true or false',
      'rules[2].then.deliver: delivers model results, so it needs run',
      'rules[2].id: duplicate id "dup" (also rules[1])',
    ]);
  });

  it('refuses rules that can never be reached after a continue: false catch-all', () => {
    const text = `version: 1
rules:
  - id: first
    when: { attr: Modality, equals: CT }
    then: { run: [brain-gwm] }
  - id: everything
    then: { forward: [pacs] }
  - id: after
    when: { attr: Modality, equals: MR }
    then: { run: [brain-gwm] }
  - id: fallback
    default: true
    then: { discard: true }
`;
    expect(problemsOf(text)).toEqual([
      'rules[2]: can never be reached: rules[1] (everything) matches every series and has continue: false',
      'rules[3]: default rule can never apply: rules[1] (everything) matches every series',
    ]);
    // With continue: true the later rules run, but the default still never applies.
    expect(
      problemsOf(text.replace('then: { forward: [pacs] }', 'then: { forward: [pacs] }\n    continue: true')),
    ).toEqual(['rules[3]: default rule can never apply: rules[1] (everything) matches every series']);
  });

  it('checks the top level, defaults, result conditions and YAML itself', () => {
    expect(problemsOf('rules: []\nextra: 1\n')).toEqual([
      'extra: unknown key',
      'version: must be 1 (found null)',
    ]);
    expect(problemsOf('- a\n')).toEqual([
      '(root): a rules file is a mapping with version: 1 and rules: [...]',
    ]);
    expect(problemsOf('version: 1\nrules: {}\n')).toEqual(['rules: must be a list of rules']);
    expect(problemsOf('version: 1\nrules: [\n')[0]).toMatch(/^line \d+: /);
    expect(problemsOf('version: 1\nversion: 1\nrules: []\n')[0]).toMatch(/^line 2: /);
    expect(
      problemsOf(`version: 1
rules:
  - id: a
    default: true
    when: { attr: Modality, equals: CT }
    then: { discard: true }
  - id: b
    default: true
    then: {}
  - id: c
    when: { attr: Modality, equals: CT }
    then:
      forward: [pacs]
      when:
        - { finding: x, measurement: y, notify: [http://h] }
        - { finding: x, probabilityGte: 2 }
        - { measurement: v, probabilityGte: 0.5, deliver: [results] }
`),
    ).toEqual([
      'rules[0].when: a default rule has no conditions (it applies when no other rule matched)',
      'rules[1].then: needs at least one of run, forward, notify or discard',
      'rules[2].then.when[0]: give either finding or measurement',
      'rules[2].then.when[1].probabilityGte: must be a number from 0 to 1',
      'rules[2].then.when[1]: needs deliver or notify',
      'rules[2].then.when[2]: probabilityGte and present apply to a finding',
      'rules[2].then.when: conditions on results need run',
      'rules[1].default: only one default rule (the first is rules[0])',
    ]);
  });

  it('caps regex length and conditions depth', () => {
    const long = `version: 1\nrules:\n  - id: a\n    when: { attr: Modality, regex: '${'a'.repeat(257)}' }\n    then: { run: [brain-gwm] }\n`;
    expect(problemsOf(long)).toEqual(['rules[0].when.regex: pattern longer than 256 characters']);
    let deep = '{ attr: Modality, equals: MR }';
    for (let i = 0; i < 40; i++) deep = `{ not: ${deep} }`;
    const p = problemsOf(
      `version: 1\nrules:\n  - id: a\n    when: ${deep}\n    then: { run: [brain-gwm] }\n`,
    );
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/: conditions nested deeper than 32 levels$/);
  });

  it('parseRules throws RULES_INVALID whose details are the problems', () => {
    try {
      parseRules('version: 2\nrules: []\n', ctx);
      throw new Error('did not throw');
    } catch (e) {
      expect(e).toBeInstanceOf(NodeError);
      expect((e as NodeError).code).toBe('RULES_INVALID');
      expect((e as NodeError).details).toEqual(['version: must be 1 (found 2)']);
    }
  });
});
