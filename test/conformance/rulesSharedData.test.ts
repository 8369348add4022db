import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { runRulesCheck, runRulesExplain, groupIntoSeries } from '../../src/cli/rulesCommand';
import { readDicomHeader } from '../../src/dicom';
import { computeFacts, evaluateRules, parseRules, type RulesContext } from '../../src/route';
import { BRAIN_SERIES_DIR, DICOM_DIR, describeIf, tempDir } from '../helpers/env';

const ROOT = path.resolve(__dirname, '..', '..');
const peer = { callingAeTitle: 'MODALITY', calledAeTitle: 'PACSAI', peerAddress: '127.0.0.1' };
const ctx: RulesContext = { modelIds: null, destinationNames: ['results'] };

/** The shipped rules with its commented examples switched on (see rulesShipped.test.ts). */
function shippedWithExamples(): string {
  const text = fs.readFileSync(path.join(ROOT, 'config', 'rules.yaml'), 'utf8');
  const examples = text
    .split('\n')
    .filter((l) => /^ {2}# (- |\s)/.test(l))
    .map((l) => `  ${l.slice(4)}`);
  return `${text}\n${examples.join('\n')}\n`;
}

/** A node configuration whose only destination is `results` (a folder). */
function nodeYaml(dir: string): string {
  const file = path.join(dir, 'node.yaml');
  fs.writeFileSync(file, `destinations:\n  results: { url: 'file://${dir}/results' }\n`);
  return file;
}

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(c, _e, cb) {
      chunks.push(String(c));
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

async function headersOf(files: string[]) {
  return Promise.all(files.map(async (f) => (await readDicomHeader(f)).dataset));
}

describeIf({ shared: true, tools: ['dcmdump'] })('rules over real files in ../shared/data', () => {
  jest.setTimeout(60_000);
  const rules = parseRules(shippedWithExamples(), ctx);

  it('the 3D T1 brain MR series: facts match the data README, and the brain rule matches', async () => {
    const series = await groupIntoSeries([BRAIN_SERIES_DIR], sink().stream);
    expect(series.size).toBe(1);
    const [headers] = [...series.values()];
    const input = { headers: headers!, peer };
    const facts = computeFacts(input);
    // data/README.md: 172 axial slices, 1 mm isotropic.
    expect(facts).toMatchObject({
      instanceCount: 172,
      frameCount: 172,
      sliceSpacingMm: 1,
      pixelSpacingMm: 1,
      orientation: 'AXIAL',
    });
    const d = evaluateRules(rules, input, facts);
    expect(d.matched).toEqual(['brain-t1-3d']);
    expect(d.actions.run).toEqual([{ model: 'brain-gwm', settings: {} }]);
    expect(d.actions.deliver).toEqual(['results']);
    const spacing = d.trace.find((t) => t.condition.startsWith('sliceSpacingMm'));
    expect(spacing).toMatchObject({ value: 1, result: true });
  });

  it('a single slice of that series is not a 3D volume: it falls to the default rule', async () => {
    const one = path.join(BRAIN_SERIES_DIR, fs.readdirSync(BRAIN_SERIES_DIR).sort()[0]!);
    const d = evaluateRules(rules, { headers: await headersOf([one]), peer });
    expect(d.matched).toEqual(['fallback']);
    expect(d.actions.discard).toBe(true);
    expect(d.trace.find((t) => t.condition.startsWith('instanceCount'))).toMatchObject({
      value: 1,
      result: false,
    });
  });

  it('real chest X-rays: adult frontal CR matches; a DX without any age does not', async () => {
    const cr = path.join(DICOM_DIR, 'torchxrayvision', 'Fake_MONOHR1.dcm');
    const crDecision = evaluateRules(rules, { headers: await headersOf([cr]), peer });
    expect(crDecision.matched).toEqual(['adult-cxr-frontal']);
    expect(crDecision.actions.onResult).toHaveLength(1);
    const dx = path.join(DICOM_DIR, 'pylibjpeg-data', 'JPEG2000Lossless', '966.dcm');
    const dxDecision = evaluateRules(rules, { headers: await headersOf([dx]), peer });
    expect(dxDecision.matched).toEqual(['fallback']);
    expect(dxDecision.trace.find((t) => t.condition.startsWith('patientAgeYears'))).toMatchObject({
      value: null,
      result: false,
    });
  });

  it('CT slices with gaps and duplicate positions: slice spacing is the median gap between distinct positions', async () => {
    const dir = path.join(DICOM_DIR, 'dicom-numpy-dupe-positions');
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.dcm'))
      .map((f) => path.join(dir, f));
    const facts = computeFacts({ headers: await headersOf(files), peer });
    // An independent reading of the positions with DCMTK's dcmdump.
    const z = files.map((f) => {
      const out = execFileSync('dcmdump', ['+P', 'ImagePositionPatient', f], { encoding: 'utf8' });
      return Number(/\[([^\]]+)\]/.exec(out)![1]!.split('\\')[2]);
    });
    const distinct = [...new Set(z)].sort((a, b) => a - b);
    const gaps = distinct
      .slice(1)
      .map((v, i) => v - distinct[i]!)
      .sort((a, b) => a - b);
    const m = gaps.length >> 1;
    const median = gaps.length % 2 ? gaps[m]! : (gaps[m - 1]! + gaps[m]!) / 2;
    expect(distinct.length).toBeLessThan(z.length); // the folder does hold duplicates
    expect(facts.instanceCount).toBe(files.length);
    expect(facts.sliceSpacingMm).toBeCloseTo(median, 3);
    expect(facts.orientation).toBe('AXIAL');
  });

  it('an enhanced multi-frame MR: frames counted from Number of Frames', async () => {
    const f = path.join(DICOM_DIR, 'dcmjs', 'cine-test.dcm');
    const facts = computeFacts({ headers: await headersOf([f]), peer });
    expect(facts.instanceCount).toBe(1);
    expect(facts.frameCount).toBe(8); // INDEX.tsv: 8 frames
  });

  it('rules check: exit 0 on the shipped file with its examples, 1 with every problem listed', async () => {
    const dir = tempDir();
    const good = path.join(dir, 'good.yaml');
    fs.writeFileSync(good, shippedWithExamples());
    const models = path.join(dir, 'no-models-here');
    const ok = sink();
    expect(
      await runRulesCheck(
        { rules: good, models, config: nodeYaml(dir) },
        { out: ok.stream, err: sink().stream },
      ),
    ).toBe(0);
    expect(ok.text()).toMatch(/valid, 6 rule\(s\), version [0-9a-f]{16}\n$/);
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(
      bad,
      'version: 1\nrules:\n  - id: x\n    when: { attr: Modalty, equals: MR }\n    then: { forward: [nowhere] }\n',
    );
    const ko = sink();
    expect(
      await runRulesCheck(
        { rules: bad, models, config: nodeYaml(dir) },
        { out: ko.stream, err: sink().stream },
      ),
    ).toBe(1);
    expect(ko.text().split('\n').filter(Boolean)).toEqual([
      `${bad}: 2 problem(s)`,
      `${bad}: rules[0].when.attr: unknown DICOM keyword "Modalty"`,
      `${bad}: rules[0].then.forward: unknown destination "nowhere" (destinations: results)`,
    ]);
  });

  it('rules explain: one JSON line per series, with the peer given on the command line', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'rules.yaml');
    fs.writeFileSync(
      file,
      `version: 1
rules:
  - id: from-ct01
    when: { all: [{ fact: callingAeTitle, equals: CT01 }, { attr: Modality, equals: CR }] }
    then: { forward: [results] }
  - id: fallback
    default: true
    then: { discard: true }
`,
    );
    const out = sink();
    const err = sink();
    const code = await runRulesExplain(
      [path.join(DICOM_DIR, 'torchxrayvision'), path.join(DICOM_DIR, 'dcmqi', 'ct-3slice')],
      {
        rules: file,
        models: path.join(dir, 'none'),
        config: nodeYaml(dir),
        callingAet: 'CT01',
        calledAet: 'PACSAI',
        peerIp: '10.0.0.1',
      },
      { out: out.stream, err: err.stream },
    );

    expect(code).toBe(0);
    expect(err.text()).toMatch(/skipped \(not DICOM Part 10\): .*00000001_000\.png/);
    const lines = out
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.instances, l.matched])).toEqual([
      [2, ['from-ct01']],
      [3, ['fallback']],
    ]);
    expect(Object.keys(lines[0])).toEqual([
      'seriesInstanceUid',
      'instances',
      'rulesVersion',
      'matched',
      'actions',
      'trace',
    ]);
    expect(lines[0].seriesInstanceUid).toBe('1.2.276.0.7230010.3.1.3.8323329.6904.1517875201.850817');
    expect(lines[0].trace[0]).toEqual({
      rule: 'from-ct01',
      path: 'rules[0].when.all[0]',
      condition: 'callingAeTitle equals "CT01"',
      value: 'CT01',
      result: true,
    });
  });
});
