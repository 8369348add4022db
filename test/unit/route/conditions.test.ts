import { evaluateRules, parseRules, type RulesContext, type SeriesRoutingInput } from '../../../src/route';

const ctx: RulesContext = { modelIds: ['m'], destinationNames: ['results'] };
const peer = { callingAeTitle: 'MODALITY1', calledAeTitle: 'PACSAI', peerAddress: '10.0.0.7' };

/** A header as dcmjs naturalizes it: padded strings, numbers, arrays, PN objects, sequences. */
const header = {
  SeriesInstanceUID: '1.2.3.4',
  Modality: 'CR',
  BodyPartExamined: 'CHEST ',
  ViewPosition: 'PA',
  ImageType: ['ORIGINAL', 'PRIMARY', 'LOCALIZER'],
  SeriesDescription: 'Thorax PA erect',
  PatientName: { Alphabetic: 'Doe^Jane' },
  SliceThickness: 2.5,
  InstanceNumber: '7 ',
  StudyID: '0042',
  ProcedureCodeSequence: [
    { CodeValue: 'RPID16', CodingSchemeDesignator: 'RADLEX' },
    { CodeValue: 'CTCHEST', CodingSchemeDesignator: 'LOCAL' },
  ],
  ReferencedStudySequence: [],
};

function matches(when: string, h: Record<string, unknown> = header): boolean {
  const rs = parseRules(`version: 1\nrules:\n  - id: r\n    when: ${when}\n    then: { run: [m] }\n`, ctx);
  const input: SeriesRoutingInput = { headers: [h], peer };
  return evaluateRules(rs, input).matched.includes('r');
}

describe('leaf conditions: every operator', () => {
  const table: Array<[string, boolean]> = [
    ['{ attr: Modality, equals: CR }', true],
    ['{ attr: Modality, equals: cr }', false],
    ['{ attr: Modality, equals: cr, ignoreCase: true }', true],
    ['{ attr: BodyPartExamined, equals: CHEST }', true], // trailing DICOM padding trimmed
    ['{ attr: Modality, notEquals: DX }', true],
    ['{ attr: Modality, notEquals: CR }', false],
    ['{ attr: Modality, in: [CR, DX] }', true],
    ['{ attr: Modality, in: [CT, MR] }', false],
    ['{ attr: Modality, in: [cr], ignoreCase: true }', true],
    ['{ attr: Modality, notIn: [CT, MR] }', true],
    ['{ attr: Modality, notIn: [CR] }', false],
    ['{ attr: SeriesDescription, contains: PA }', true],
    ['{ attr: SeriesDescription, contains: pa e, ignoreCase: true }', true],
    ['{ attr: SeriesDescription, contains: lateral }', false],
    ['{ attr: SeriesDescription, startsWith: Thorax }', true],
    ['{ attr: SeriesDescription, startsWith: thorax }', false],
    ['{ attr: SeriesDescription, endsWith: ERECT, ignoreCase: true }', true],
    ['{ attr: SeriesDescription, endsWith: supine }', false],
    ["{ attr: SeriesDescription, regex: '^thorax\\s+(pa|ap)\\b', ignoreCase: true }", true],
    ["{ attr: SeriesDescription, regex: '^thorax' }", false],
    ['{ attr: SliceThickness, lt: 3 }', true],
    ['{ attr: SliceThickness, lt: 2.5 }', false],
    ['{ attr: SliceThickness, lte: 2.5 }', true],
    ['{ attr: SliceThickness, gt: 2.5 }', false],
    ['{ attr: SliceThickness, gt: 1 }', true],
    ['{ attr: SliceThickness, gte: 2.5 }', true],
    ['{ attr: SliceThickness, between: [2, 3] }', true],
    ['{ attr: SliceThickness, between: [3, 4] }', false],
    ['{ attr: InstanceNumber, equals: 7 }', true], // numeric text compared as a number
    ['{ attr: InstanceNumber, gte: 7 }', true],
    ['{ attr: StudyID, equals: 42 }', true], // number operand: numeric comparison
    ["{ attr: StudyID, equals: '42' }", false], // text operand: text comparison
    ["{ attr: StudyID, equals: '0042' }", true],
    ['{ attr: Modality, gt: 1 }', false], // not a number: false, no throw
    ['{ attr: PatientName, startsWith: Doe }', true], // PN: Alphabetic group
    ['{ attr: Modality, exists: true }', true],
    ['{ attr: Modality, exists: false }', false],
    ['{ attr: Modality, missing: false }', true],
  ];
  it.each(table)('%s → %s', (when, expected) => {
    expect(matches(when)).toBe(expected);
  });
});

describe('multi-valued attributes and sequences', () => {
  const table: Array<[string, boolean]> = [
    ['{ attr: ImageType, equals: LOCALIZER }', true], // any value matches
    ['{ attr: ImageType, in: [DERIVED, PRIMARY] }', true],
    ['{ attr: ImageType, notEquals: LOCALIZER }', false], // negative: no value may match
    ['{ attr: ImageType, notIn: [DERIVED, SECONDARY] }', true],
    ['{ attr: ProcedureCodeSequence.CodeValue, equals: CTCHEST }', true], // any item
    ['{ attr: ProcedureCodeSequence.CodeValue, equals: RPID16 }', true],
    ['{ attr: ProcedureCodeSequence.CodeValue, equals: NOPE }', false],
    ['{ attr: ProcedureCodeSequence.CodingSchemeDesignator, notIn: [SRT] }', true],
    ['{ attr: ProcedureCodeSequence, exists: true }', true],
    ['{ attr: ReferencedStudySequence, exists: true }', false], // an empty sequence counts as missing
    ['{ attr: ReferencedStudySequence, missing: true }', true],
  ];
  it.each(table)('%s → %s', (when, expected) => {
    expect(matches(when)).toBe(expected);
  });
});

describe('a missing attribute never throws and never matches, except exists: false', () => {
  const ops = [
    'equals: X',
    'notEquals: X',
    'in: [X]',
    'notIn: [X]',
    'contains: X',
    'startsWith: X',
    'endsWith: X',
    "regex: '.*'",
    'lt: 1',
    'lte: 1',
    'gt: 1',
    'gte: 1',
    'between: [0, 1]',
    'exists: true',
    'missing: false',
  ];
  it.each(ops)('ContrastBolusAgent %s → false', (op) => {
    expect(matches(`{ attr: ContrastBolusAgent, ${op} }`)).toBe(false);
    expect(matches(`{ attr: AnatomicRegionSequence.CodeValue, ${op} }`)).toBe(false);
  });
  it('exists: false and missing: true match a missing attribute', () => {
    expect(matches('{ attr: ContrastBolusAgent, exists: false }')).toBe(true);
    expect(matches('{ attr: ContrastBolusAgent, missing: true }')).toBe(true);
  });
  it('an empty or padding-only value counts as missing', () => {
    expect(matches('{ attr: BodyPartExamined, exists: true }', { ...header, BodyPartExamined: '  ' })).toBe(
      false,
    );
    expect(matches('{ attr: BodyPartExamined, exists: false }', { ...header, BodyPartExamined: '' })).toBe(
      true,
    );
  });
  it('a series without headers reads every attribute as missing', () => {
    const rs = parseRules(
      'version: 1\nrules:\n  - id: r\n    when: { attr: Modality, exists: false }\n    then: { run: [m] }\n',
      ctx,
    );
    expect(evaluateRules(rs, { headers: [], peer }).matched).toEqual(['r']);
  });
});

describe('all, any, not nested freely', () => {
  const table: Array<[string, boolean]> = [
    ['{ all: [{ attr: Modality, equals: CR }, { attr: ViewPosition, equals: PA }] }', true],
    ['{ all: [{ attr: Modality, equals: CR }, { attr: ViewPosition, equals: AP }] }', false],
    ['{ any: [{ attr: Modality, equals: CT }, { attr: ViewPosition, equals: PA }] }', true],
    ['{ any: [{ attr: Modality, equals: CT }, { attr: ViewPosition, equals: AP }] }', false],
    ['{ not: { attr: Modality, equals: CT } }', true],
    ['{ not: { attr: Modality, equals: CR } }', false],
    ['{ not: [{ attr: Modality, equals: CT }, { attr: Modality, equals: MR }] }', true],
    ['{ not: [{ attr: Modality, equals: CT }, { attr: Modality, equals: CR }] }', false],
    [
      '{ all: [{ any: [{ attr: Modality, equals: DX }, { not: { attr: Modality, equals: MR } }] }, { not: { any: [{ attr: ViewPosition, equals: LL }] } }] }',
      true,
    ],
    ['{ all: [{ any: [{ all: [{ not: { attr: ViewPosition, exists: true } }] }] }] }', false],
  ];
  it.each(table)('%s → %s', (when, expected) => {
    expect(matches(when)).toBe(expected);
  });
});

describe('facts as conditions', () => {
  it('reads the peer of the series', () => {
    expect(matches('{ fact: callingAeTitle, equals: MODALITY1 }')).toBe(true);
    expect(matches('{ fact: calledAeTitle, in: [PACSAI, OTHER] }')).toBe(true);
    expect(matches("{ fact: peerAddress, startsWith: '10.0.' }")).toBe(true);
    expect(matches("{ fact: peerAddress, startsWith: '192.168.' }")).toBe(false);
    expect(matches('{ fact: instanceCount, equals: 1 }')).toBe(true);
  });
  it('a fact that cannot be computed is missing', () => {
    expect(matches('{ fact: sliceSpacingMm, gte: 0 }')).toBe(false);
    expect(matches('{ fact: sliceSpacingMm, exists: false }')).toBe(true);
    expect(matches('{ fact: patientAgeYears, lt: 200 }')).toBe(false);
  });
});

describe('the trace never shows who the patient is', () => {
  it('redacts identifying attributes but still evaluates them', () => {
    const rs = parseRules(
      'version: 1\nrules:\n  - id: r\n    when: { all: [{ attr: PatientName, startsWith: Doe }, { attr: Modality, equals: CR }] }\n    then: { run: [m] }\n',
      ctx,
    );
    const d = evaluateRules(rs, { headers: [header], peer });
    expect(d.matched).toEqual(['r']);
    expect(d.trace.map((t) => t.value)).toEqual(['[redacted]', 'CR', null]);
    expect(JSON.stringify(d)).not.toContain('Jane');
  });
});
