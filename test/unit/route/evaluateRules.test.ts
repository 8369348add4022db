import { evaluateRules, parseRules, type RulesContext, type SeriesRoutingInput } from '../../../src/route';

const ctx: RulesContext = { modelIds: ['a', 'b', 'c'], destinationNames: ['pacs', 'results', 'archive'] };
const peer = { callingAeTitle: 'CT01', calledAeTitle: 'PACSAI', peerAddress: '10.1.1.1' };

const RULES = `version: 1
rules:
  - id: ct-any
    priority: offpeak
    when: { attr: Modality, equals: CT }
    then: { run: [{ model: a, settings: { threshold: 0.3 } }], deliver: [results] }
    continue: true
  - id: ct-chest
    priority: stat
    level: study
    when:
      all:
        - { attr: Modality, equals: CT }
        - { attr: BodyPartExamined, equals: CHEST }
    then: { run: [{ model: a, settings: { threshold: 0.9 } }, b], deliver: [pacs, results], notify: ['http://h/1'] }
  - id: ct-never
    when: { attr: Modality, equals: CT }
    then: { run: [c] }
  - id: mr-forward
    when: { any: [{ attr: Modality, equals: MR }, { attr: Modality, equals: PT }] }
    then: { forward: [archive] }
    continue: true
  - id: localizer
    when: { attr: ImageType, equals: LOCALIZER }
    then: { discard: true }
  - id: fallback
    default: true
    then: { forward: [archive] }
`;
const rs = parseRules(RULES, ctx);

function route(h: Record<string, unknown>) {
  const input: SeriesRoutingInput = { headers: [{ SeriesInstanceUID: '1.2.3', ...h }], peer };
  return evaluateRules(rs, input);
}

describe('evaluateRules', () => {
  it('evaluates in order, keeps going after continue: true and stops after continue: false', () => {
    const d = route({ Modality: 'CT', BodyPartExamined: 'CHEST' });
    expect(d.matched).toEqual(['ct-any', 'ct-chest']);
    expect(d.seriesInstanceUid).toBe('1.2.3');
    expect(d.rulesVersion).toBe(rs.version);
    // No rule after ct-chest was evaluated.
    expect(new Set(d.trace.map((t) => t.rule))).toEqual(new Set(['ct-any', 'ct-chest', 'fallback']));
  });

  it('merges actions: models once with the first settings, destinations united, highest priority, study level', () => {
    const { actions } = route({ Modality: 'CT', BodyPartExamined: 'CHEST' });
    expect(actions).toEqual({
      run: [
        { model: 'a', settings: { threshold: 0.3 } },
        { model: 'b', settings: {} },
      ],
      deliver: ['results', 'pacs'],
      forward: [],
      discard: false,
      notify: ['http://h/1'],
      onResult: [],
      priority: 'stat',
      level: 'study',
    });
  });

  it('a rule with continue: false that does not match lets evaluation go on', () => {
    const d = route({ Modality: 'CT', BodyPartExamined: 'HEAD' });
    expect(d.matched).toEqual(['ct-any', 'ct-never']);
    expect(d.actions.priority).toBe('normal');
    expect(d.actions.level).toBe('series');
  });

  it('the default rule applies only when no other rule matched', () => {
    const d = route({ Modality: 'US' });
    expect(d.matched).toEqual(['fallback']);
    expect(d.actions.forward).toEqual(['archive']);
    expect(d.trace.at(-1)).toEqual({
      rule: 'fallback',
      path: 'rules[5].default',
      condition: 'default: no other rule matched',
      value: 0,
      result: true,
    });
    const mr = route({ Modality: 'MR', ImageType: ['ORIGINAL', 'LOCALIZER'] });
    expect(mr.matched).toEqual(['mr-forward', 'localizer']);
    expect(mr.trace.at(-1)).toMatchObject({ rule: 'fallback', value: 2, result: false });
    // A matched rule discards, but another forwards: the series is not discarded.
    expect(mr.actions).toMatchObject({ discard: false, forward: ['archive'] });
  });

  it('discard holds when a matched rule discards and nothing runs or forwards', () => {
    expect(route({ Modality: 'OT', ImageType: 'LOCALIZER' })).toMatchObject({
      matched: ['localizer'],
      actions: { discard: true, run: [], forward: [] },
    });
  });

  it('nothing matched and no default: discarded, with the trace of what was tried', () => {
    const noDefault = parseRules(RULES.slice(0, RULES.indexOf('  - id: fallback')), ctx);
    const d = evaluateRules(noDefault, { headers: [{ Modality: 'US' }], peer });
    expect(d.matched).toEqual([]);
    expect(d.actions.discard).toBe(true);
    expect(d.seriesInstanceUid).toBe('');
    expect(d.trace.filter((t) => t.path.endsWith('.when')).map((t) => t.rule)).toEqual([
      'ct-any',
      'ct-chest',
      'ct-never',
      'mr-forward',
      'localizer',
    ]);
  });

  it('traces each condition with the value it saw; all/any stop at the first decisive child', () => {
    const d = route({ Modality: 'PT' });
    const mr = d.trace.filter((t) => t.rule === 'mr-forward');
    expect(mr).toEqual([
      {
        rule: 'mr-forward',
        path: 'rules[3].when.any[0]',
        condition: 'Modality equals "MR"',
        value: 'PT',
        result: false,
      },
      {
        rule: 'mr-forward',
        path: 'rules[3].when.any[1]',
        condition: 'Modality equals "PT"',
        value: 'PT',
        result: true,
      },
      { rule: 'mr-forward', path: 'rules[3].when', condition: 'any of', value: null, result: true },
    ]);
    const chest = route({ Modality: 'MR' }).trace.filter((t) => t.rule === 'ct-chest');
    expect(chest).toEqual([
      {
        rule: 'ct-chest',
        path: 'rules[1].when.all[0]',
        condition: 'Modality equals "CT"',
        value: 'MR',
        result: false,
      },
      { rule: 'ct-chest', path: 'rules[1].when', condition: 'all of', value: null, result: false },
    ]);
    const missing = route({ Modality: 'CT' }).trace.find((t) => t.path === 'rules[1].when.all[1]');
    expect(missing).toMatchObject({ value: null, result: false });
    const multi = route({ Modality: 'MR', ImageType: ['ORIGINAL', 'LOCALIZER'] }).trace.find(
      (t) => t.rule === 'localizer',
    );
    expect(multi).toMatchObject({ value: ['ORIGINAL', 'LOCALIZER'], result: true });
  });

  it('is pure: the same input gives the same decision, and the rule set is not changed', () => {
    const h = { Modality: 'CT', BodyPartExamined: 'CHEST' };
    const a = route(h);
    expect(route(h)).toEqual(a);
    a.actions.run[0]!.settings.threshold = 99;
    expect(route(h).actions.run[0]!.settings).toEqual({ threshold: 0.3 });
    expect(rs.rules[0]!.then.run[0]!.settings).toEqual({ threshold: 0.3 });
  });

  it('a catch-all rule matches every series and says so in the trace', () => {
    const all = parseRules('version: 1\nrules:\n  - id: all\n    then: { forward: [pacs] }\n', ctx);
    const d = evaluateRules(all, { headers: [{}], peer });
    expect(d.matched).toEqual(['all']);
    expect(d.trace).toEqual([
      { rule: 'all', path: 'rules[0]', condition: 'no conditions (every series)', value: null, result: true },
    ]);
  });

  it('carries result conditions into the actions', () => {
    const withResult = parseRules(
      `version: 1
rules:
  - id: r
    when: { attr: Modality, equals: CR }
    then:
      run: [a]
      when: { finding: pneumothorax, probabilityGte: 0.8, deliver: [pacs] }
`,
      ctx,
    );
    expect(evaluateRules(withResult, { headers: [{ Modality: 'CR' }], peer }).actions.onResult).toEqual([
      { finding: 'pneumothorax', probabilityGte: 0.8, deliver: ['pacs'], notify: [] },
    ]);
  });
});
