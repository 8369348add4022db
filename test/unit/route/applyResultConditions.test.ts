import type { Finding, Measurement, ResultCondition } from '../../../src/pipeline/types';
import { applyResultConditions } from '../../../src/route';

const code = (value: string) => ({ value, scheme: 'SCT', meaning: value });
const finding = (label: string, probability: number | null, present: boolean): Finding => ({
  label,
  code: code(label === 'pneumothorax' ? '36118008' : label),
  probability,
  present,
  threshold: 0.5,
});
const measurement = (name: string, value: number): Measurement => ({
  name,
  code: code(name),
  value,
  unit: { code: 'mL', meaning: 'milliliter' },
});

const onResult: ResultCondition[] = [
  { finding: 'pneumothorax', probabilityGte: 0.8, deliver: ['urgent'], notify: ['http://h/ptx'] },
  { finding: 'Effusion', deliver: ['pacs'], notify: [] },
  { finding: 'nodule', present: false, deliver: [], notify: ['http://h/no-nodule'] },
  { measurement: 'white matter volume', valueGte: 400, valueLte: 600, deliver: ['research'], notify: [] },
];
const actions = { deliver: ['pacs'], notify: ['http://h/always'], onResult };

describe('applyResultConditions', () => {
  const table: Array<[string, Finding[], Measurement[], number[], string[], string[]]> = [
    ['nothing found', [], [], [], ['pacs'], ['http://h/always']],
    [
      'probability at the threshold fires',
      [finding('pneumothorax', 0.8, true)],
      [],
      [0],
      ['pacs', 'urgent'],
      ['http://h/always', 'http://h/ptx'],
    ],
    [
      'probability below does not',
      [finding('pneumothorax', 0.79, true)],
      [],
      [],
      ['pacs'],
      ['http://h/always'],
    ],
    ['no probability does not', [finding('pneumothorax', null, true)], [], [], ['pacs'], ['http://h/always']],
    [
      'matched by code value',
      [finding('x', 0.9, true), { ...finding('x', 0.95, true), label: 'PTX', code: code('PNEUMOTHORAX') }],
      [],
      [0],
      ['pacs', 'urgent'],
      ['http://h/always', 'http://h/ptx'],
    ],
    [
      'a finding named without threshold must be present (case-insensitive)',
      [finding('effusion', 0.1, true)],
      [],
      [1],
      ['pacs'],
      ['http://h/always'],
    ],
    [
      'absent finding does not fire',
      [finding('effusion', 0.1, false)],
      [],
      [],
      ['pacs'],
      ['http://h/always'],
    ],
    [
      'present: false fires on an absent finding',
      [finding('nodule', 0.1, false)],
      [],
      [2],
      ['pacs'],
      ['http://h/always', 'http://h/no-nodule'],
    ],
    [
      'measurement in range',
      [],
      [measurement('White Matter Volume', 518.5)],
      [3],
      ['pacs', 'research'],
      ['http://h/always'],
    ],
    [
      'measurement out of range',
      [],
      [measurement('white matter volume', 735.2)],
      [],
      ['pacs'],
      ['http://h/always'],
    ],
  ];
  it.each(table)('%s', (_name, findings, measurements, fired, deliver, notify) => {
    const out = applyResultConditions(actions, findings, measurements);
    expect(out.fired.map((f) => f.index)).toEqual(fired);
    expect(out.deliver).toEqual(deliver);
    expect(out.notify).toEqual(notify);
  });

  it('reports what fired it and does not change its input', () => {
    const out = applyResultConditions(
      actions,
      [finding('pneumothorax', 0.93, true)],
      [measurement('white matter volume', 500)],
    );
    expect(out.fired).toEqual([
      { index: 0, condition: onResult[0], matchedBy: 'pneumothorax', value: 0.93 },
      { index: 3, condition: onResult[3], matchedBy: 'white matter volume', value: 500 },
    ]);
    expect(actions.deliver).toEqual(['pacs']);
  });
});
