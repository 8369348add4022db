import fs from 'node:fs';
import path from 'node:path';
import { createHttpApp, startHttpServer, type RunningHttpServer } from '../../src/api';
import { readDicomHeader } from '../../src/dicom/readDicomHeader';
import { str } from '../../src/dicom/datasetValues';
import { describeIf, DICOM_DIR } from '../helpers/env';
import { startOrthanc, storedSopInstanceUids, type OrthancInstance } from '../helpers/orthanc';
import { ADMIN_TOKEN, makeKit, READ_TOKEN, splitMultipart, type Kit } from '../unit/api/apiTestKit';

jest.setTimeout(120000);

const CT_DIR = path.join(DICOM_DIR, 'dcmqi', 'ct-3slice');

describeIf({ tools: ['Orthanc'], shared: true })(
  'DICOMweb with a real peer: Orthanc stores to the node over STOW-RS, reads back over QIDO-RS and WADO-RS',
  () => {
    let kit: Kit;
    let server: RunningHttpServer;
    let orthanc: OrthancInstance;
    let base: string;
    const files = fs.existsSync(CT_DIR)
      ? fs
          .readdirSync(CT_DIR)
          .filter((f) => f.endsWith('.dcm'))
          .sort()
          .map((f) => path.join(CT_DIR, f))
      : [];
    let studyUid = '';
    let seriesUid = '';
    const bytesBySop = new Map<string, Buffer>();

    beforeAll(async () => {
      kit = makeKit({ tokens: true });
      server = await startHttpServer(createHttpApp(kit.deps), '127.0.0.1', 0);
      base = `http://127.0.0.1:${server.port}/dicomweb`;
      orthanc = await startOrthanc({
        extra: {
          DicomWeb: {
            Enable: true,
            Root: '/dicom-web/',
            Servers: { node: { Url: `${base}/`, HttpHeaders: { Authorization: `Bearer ${ADMIN_TOKEN}` } } },
          },
        },
      });
      for (const f of files) {
        const bytes = fs.readFileSync(f);
        const h = await readDicomHeader(f);
        bytesBySop.set(str(h.dataset, 'SOPInstanceUID')!, bytes);
        studyUid = str(h.dataset, 'StudyInstanceUID')!;
        seriesUid = str(h.dataset, 'SeriesInstanceUID')!;
        const r = await orthanc.post('/instances', bytes, 'application/dicom');
        expect(r.status).toBe(200);
      }
    });

    afterAll(async () => {
      await orthanc?.stop();
      await server?.close();
    });

    it('Orthanc pushes the study with STOW-RS; the node stores every instance through the store', async () => {
      expect(files).toHaveLength(3);
      const studies = await orthanc.get<string[]>('/studies');
      const r = await orthanc.post(
        '/dicom-web/servers/node/stow',
        JSON.stringify({ Resources: studies, Synchronous: true }),
        'application/json',
      );
      expect(r.status).toBe(200);
      const rows = kit.db
        .prepare('SELECT sop_instance_uid, source, calling_ae_title FROM instances ORDER BY sop_instance_uid')
        .all() as Array<{ sop_instance_uid: string; source: string; calling_ae_title: string }>;
      expect(rows.map((x) => x.sop_instance_uid)).toEqual([...bytesBySop.keys()].sort());
      expect(rows.every((x) => x.source === 'stow' && x.calling_ae_title === 'ops')).toBe(true);
      expect(kit.calls.stored).toHaveLength(3);
    });

    it('QIDO-RS through Orthanc finds the study, its series and instances', async () => {
      const q = async (
        uri: string,
        args: Record<string, string> = {},
      ): Promise<Array<Record<string, { Value?: unknown[] }>>> => {
        const r = await orthanc.post(
          '/dicom-web/servers/node/get',
          JSON.stringify({ Uri: uri, Arguments: args }),
          'application/json',
        );
        expect(r.status).toBe(200);
        return JSON.parse(r.body);
      };
      const studies = await q('/studies', { StudyInstanceUID: studyUid });
      expect(studies).toHaveLength(1);
      expect(studies[0]!['00201208']!.Value).toEqual([3]);
      expect(studies[0]!['00080061']!.Value).toEqual(['CT']);
      const series = await q(`/studies/${studyUid}/series`);
      expect(series.map((s) => s['0020000E']!.Value![0])).toEqual([seriesUid]);
      const instances = await q(`/studies/${studyUid}/series/${seriesUid}/instances`);
      expect(instances.map((i) => i['00080018']!.Value![0]).sort()).toEqual([...bytesBySop.keys()].sort());
    });

    it('WADO-RS returns the instances bit-identical to what Orthanc sent', async () => {
      const res = await fetch(`${base}/studies/${studyUid}`, {
        headers: {
          Authorization: `Bearer ${READ_TOKEN}`,
          Accept: 'multipart/related; type="application/dicom"',
        },
      });
      expect(res.status).toBe(200);
      const parts = splitMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type')!);
      expect(parts).toHaveLength(3);
      const originals = [...bytesBySop.values()];
      for (const p of parts) expect(originals.some((o) => o.equals(p))).toBe(true);
      const meta = await fetch(`${base}/studies/${studyUid}/metadata`, {
        headers: { Authorization: `Bearer ${READ_TOKEN}` },
      });
      expect(((await meta.json()) as unknown[]).length).toBe(3);
      const png = await fetch(
        `${base}/studies/${studyUid}/series/${seriesUid}/instances/${[...bytesBySop.keys()][0]}/rendered`,
        {
          headers: { Authorization: `Bearer ${READ_TOKEN}` },
        },
      );
      expect(png.headers.get('content-type')).toBe('image/png');
    });

    it('Orthanc retrieves the study back over WADO-RS after deleting its own copy', async () => {
      for (const id of await orthanc.get<string[]>('/studies')) {
        expect((await fetch(`${orthanc.baseUrl}/studies/${id}`, { method: 'DELETE' })).status).toBe(200);
      }
      expect(await orthanc.get<string[]>('/instances')).toEqual([]);
      const r = await orthanc.post(
        '/dicom-web/servers/node/retrieve',
        JSON.stringify({ Resources: [{ Study: studyUid }], Synchronous: true }),
        'application/json',
      );
      expect(r.status).toBe(200);
      expect(await storedSopInstanceUids(orthanc)).toEqual([...bytesBySop.keys()].sort());
    });
  },
);
