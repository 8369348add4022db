import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { createApp, type App } from '../../src/app';
import { modelsInstall } from '../../src/cli/modelsCommand';
import { parseNodeConfig } from '../../src/config/loadNodeConfig';
import { dcmjs, type NaturalDataset } from '../../src/dicom';
import { silentLogger } from '../../src/logging/logger';
import {
  BRAIN_SERIES_DIR,
  SHARED_MODELS_DIR,
  VALIDATE_DICOM,
  dcmtkEnv,
  describeIf,
  tempDir,
} from '../helpers/env';
import { startOrthanc, type OrthancInstance } from '../helpers/orthanc';

const run = promisify(execFile);
const REPO_MODELS = path.resolve(__dirname, '..', '..', 'models');

/**
 * Reference of ../shared/data/README.md (the model run as its authors run it), by the SNOMED CT
 * code of the measurement's finding site: cerebral white matter, cerebral grey matter.
 */
const REFERENCE_ML: Record<string, number> = { '68523003': 518.5, '40146001': 735.2 };

const RULES = `version: 1
rules:
  - id: brain-t1-3d
    description: 3D T1 brain MR to grey/white matter segmentation
    when:
      all:
        - { attr: Modality, equals: MR }
        - { fact: instanceCount, gte: 64 }
    then:
      run: [brain-gwm]
      deliver: [pacs-dimse, pacs-web]
  - id: fallback
    default: true
    then: { discard: true }
`;

interface OrthancSeries {
  ID: string;
  Instances: string[];
  MainDicomTags: { Modality?: string; SeriesInstanceUID?: string };
}

async function until<T>(
  what: string,
  fn: () => T | undefined | Promise<T | undefined>,
  ms = 240_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The study's series in an Orthanc, by modality. */
async function seriesByModality(
  o: OrthancInstance,
  studyUid: string,
): Promise<Record<string, OrthancSeries[]>> {
  const ids = (await o.post('/tools/lookup', studyUid)).body;
  const found = JSON.parse(ids) as Array<{ ID: string; Type: string }>;
  const study = found.find((f) => f.Type === 'Study');
  if (!study) return {};
  const series = await o.get<OrthancSeries[]>(`/studies/${study.ID}/series`);
  const out: Record<string, OrthancSeries[]> = {};
  for (const s of series) (out[s.MainDicomTags.Modality ?? '?'] ??= []).push(s);
  return out;
}

async function downloadInstance(o: OrthancInstance, id: string, dir: string): Promise<string> {
  const res = await fetch(`${o.baseUrl}/instances/${id}/file`);
  const file = path.join(dir, `${id}.dcm`);
  fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  return file;
}

/** Volume NUM items of the SR (TID 1411 row 10), by the code of their Finding Site modifier. */
function srVolumes(file: string): Record<string, { value: number; unit: string }> {
  const buf = fs.readFileSync(file);
  const dict = dcmjs.data.DicomMessage.readFile(
    buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength),
  );
  const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict) as NaturalDataset;
  const out: Record<string, { value: number; unit: string }> = {};
  const items = (x: unknown): NaturalDataset[] =>
    Array.isArray(x) ? (x as NaturalDataset[]) : x ? [x as NaturalDataset] : [];
  const code = (n: NaturalDataset, seq: string): string | undefined =>
    items(n[seq])[0]?.CodeValue as string | undefined;
  const walk = (node: NaturalDataset): void => {
    for (const c of items(node.ContentSequence)) {
      if (c.ValueType === 'NUM' && code(c, 'ConceptNameCodeSequence') === '118565006') {
        const site = items(c.ContentSequence).find((m) => code(m, 'ConceptNameCodeSequence') === '363698007');
        const mv = items(c.MeasuredValueSequence)[0]!;
        if (site) {
          out[code(site, 'ConceptCodeSequence')!] = {
            value: Number(mv.NumericValue),
            unit: String(code(mv, 'MeasurementUnitsCodeSequence')),
          };
        }
      }
      walk(c);
    }
  };
  walk(ds);
  return out;
}

/**
 * Issue 6, end to end with real peers: DCMTK storescu pushes the brain series to the node, the
 * rules run brain-gwm, and the results reach two real Orthancs, one over DIMSE C-STORE and one
 * over DICOMweb STOW-RS: an SR with the volumes, a SEG and an SC series in the source's study.
 */
describeIf({ shared: true, tools: ['storescu', 'dciodvfy', 'dsrdump', 'dcentvfy', 'Orthanc'] })(
  'end to end: storescu → node → brain-gwm → Orthanc (DIMSE and STOW-RS)',
  () => {
    let dimsePacs: OrthancInstance;
    let webPacs: OrthancInstance;
    let app: App;
    let dimsePort: number;
    let studyUid: string;
    let seriesUid: string;
    const work = tempDir('e2e-');

    beforeAll(async () => {
      [dimsePacs, webPacs] = await Promise.all([
        startOrthanc({ aeTitle: 'PACSDIMSE' }),
        startOrthanc({ aeTitle: 'PACSWEB' }),
      ]);
      const modelsDir = path.join(work, 'models');
      fs.mkdirSync(path.join(modelsDir, 'brain-gwm'), { recursive: true });
      fs.copyFileSync(
        path.join(REPO_MODELS, 'brain-gwm', 'manifest.yaml'),
        path.join(modelsDir, 'brain-gwm', 'manifest.yaml'),
      );
      const sink = { write: () => true } as unknown as NodeJS.WritableStream;
      const code = await modelsInstall(
        'brain-gwm',
        { from: path.join(SHARED_MODELS_DIR, 'niivue-brain-gwm', 'model.onnx'), models: modelsDir },
        { out: sink, err: sink },
      );
      expect(code).toBe(0);
      const rulesFile = path.join(work, 'rules.yaml');
      fs.writeFileSync(rulesFile, RULES);
      const config = parseNodeConfig({
        dataDir: path.join(work, 'data'),
        rulesFile,
        modelsDir,
        dimse: { port: 0 },
        http: { enabled: false },
        assembly: { seriesQuietSeconds: 2 },
        destinations: {
          'pacs-dimse': { url: `dimse://${dimsePacs.aeTitle}@127.0.0.1:${dimsePacs.dicomPort}` },
          'pacs-web': { url: `dicomweb+http://127.0.0.1:${webPacs.httpPort}/dicom-web` },
        },
      });
      app = createApp({ config, logger: silentLogger });
      dimsePort = (await app.start()).dimsePort;
      const first = execFileSync('dcmdump', [
        '+P',
        '0020,000d',
        '+P',
        '0020,000e',
        path.join(BRAIN_SERIES_DIR, 'IM0001.dcm'),
      ]).toString();
      [studyUid, seriesUid] = [...first.matchAll(/\[([0-9.]+)\]/g)].map((m) => m[1]!) as [string, string];
    }, 120_000);

    afterAll(async () => {
      await app?.stop();
      await Promise.all([dimsePacs?.stop(), webPacs?.stop()]);
    }, 60_000);

    const push = () =>
      run('storescu', ['-aec', app.config.aeTitle, '+sd', '127.0.0.1', String(dimsePort), BRAIN_SERIES_DIR], {
        env: dcmtkEnv(),
      });

    const deliveredJob = () =>
      until('the job to be delivered', () => {
        const jobs = app.jobs.list({ seriesInstanceUid: seriesUid });
        const failed = jobs.find((j) => ['failed', 'out_of_scope', 'discarded'].includes(j.state));
        if (failed) throw new Error(`job ${failed.state}: ${failed.error ?? ''}`);
        return jobs.find((j) => j.state === 'delivered');
      });

    it('delivers an SR with volumes within 1% of the reference, a SEG and an SC, in the source study, to both PACS', async () => {
      await push();
      const job = await deliveredJob();
      expect(job.rules_version).toBe(app.rules.current().version);

      const check = work;
      for (const pacs of [dimsePacs, webPacs]) {
        const series = await seriesByModality(pacs, studyUid);
        // Secondary Capture carries Modality OT (PS3.3 C.8.6.1); tell it by its SOP class.
        expect(Object.keys(series).sort()).toEqual(['OT', 'SEG', 'SR']);
        for (const m of ['OT', 'SEG', 'SR']) expect(series[m]).toHaveLength(1);
        const scClass = await fetch(
          `${pacs.baseUrl}/instances/${series.OT![0]!.Instances[0]!}/metadata/SopClassUid`,
        );
        expect(await scClass.text()).toMatch(/^1\.2\.840\.10008\.5\.1\.4\.1\.1\.7(\.4)?$/);
        const srFile = await downloadInstance(pacs, series.SR![0]!.Instances[0]!, check);
        const volumes = srVolumes(srFile);
        for (const [name, reference] of Object.entries(REFERENCE_ML)) {
          expect(volumes[name]?.unit).toBe('mL');
          expect(Math.abs(volumes[name]!.value - reference) / reference).toBeLessThan(0.01);
        }
      }

      // Every object written passes the validators, and is consistent with its sources.
      const outputs = fs
        .readdirSync(path.join(work, 'data', 'outputs'))
        .filter((f) => f.endsWith('.dcm'))
        .map((f) => path.join(work, 'data', 'outputs', f));
      expect(outputs).toHaveLength(3);
      for (const f of outputs) {
        const v = await run(VALIDATE_DICOM, [f]).catch((e: { stdout: string }) => e);
        expect(v.stdout.split('\n').filter((l) => /^Error/.test(l))).toEqual([]);
        await run('dsrdump', ['-q', f]).then(
          () => undefined,
          () => undefined,
        );
      }
      const sr = outputs.find((f) =>
        execFileSync('dcmdump', ['-Un', '+P', '0008,0016', f])
          .toString()
          .includes('1.2.840.10008.5.1.4.1.1.88.33'),
      );
      expect(sr).toBeDefined();
      await expect(run('dsrdump', ['-q', sr!])).resolves.toBeDefined();
      const sources = fs
        .readdirSync(BRAIN_SERIES_DIR)
        .slice(0, 3)
        .map((f) => path.join(BRAIN_SERIES_DIR, f));
      const consistency = await run('dcentvfy', [...sources, ...outputs]).catch(
        (e: { stdout: string; stderr: string }) => e,
      );
      expect(
        `${consistency.stdout}${consistency.stderr}`.split('\n').filter((l) => /^Error/.test(l)),
      ).toEqual([]);
    }, 300_000);

    it('does not create a second set of results when the series is sent again or its job runs again', async () => {
      const count = async (o: OrthancInstance) =>
        (await o.get<{ CountInstances: number }>('/statistics')).CountInstances;
      const before = [await count(dimsePacs), await count(webPacs)];
      expect(before).toEqual([3, 3]);

      // The modality re-sends the whole series: kept once, nothing new to run.
      const jobsBefore = app.jobs.list({ seriesInstanceUid: seriesUid }).length;
      await push();
      expect(app.jobs.list({ seriesInstanceUid: seriesUid })).toHaveLength(jobsBefore);

      // The job runs again (e.g. an admin re-run): the result UIDs are derived, so they replace.
      const again = app.jobs.create(seriesUid);
      app.jobs.transition(again.id, 'complete');
      app.orchestrator.seriesCompleted({} as never, again.id);
      await until('the re-run to be delivered', () =>
        app.jobs.get(again.id).state === 'delivered'
          ? true
          : app.jobs.get(again.id).state === 'failed'
            ? (() => {
                throw new Error(app.jobs.get(again.id).error ?? 'failed');
              })()
            : undefined,
      );
      expect([await count(dimsePacs), await count(webPacs)]).toEqual(before);
    }, 300_000);
  },
);
