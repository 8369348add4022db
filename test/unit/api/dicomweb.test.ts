import request from 'supertest';
import { createHttpApp } from '../../../src/api';
import {
  ADMIN_TOKEN,
  makeKit,
  multipartBody,
  READ_TOKEN,
  splitMultipart,
  syntheticPart10,
  type SyntheticInstance,
} from './apiTestKit';

const STUDY_A = '1.2.826.0.1.3680043.10.900.1';
const STUDY_B = '1.2.826.0.1.3680043.10.900.2';
const inst = (
  study: string,
  series: string,
  n: number,
  extra: Partial<SyntheticInstance> = {},
): SyntheticInstance => ({
  studyInstanceUid: study,
  seriesInstanceUid: `${study}.${series}`,
  sopInstanceUid: `${study}.${series}.${n}`,
  instanceNumber: n,
  ...extra,
});

function binaryParser(res: request.Response, cb: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
}

describe('DICOMweb over supertest (PS3.18 10.4-10.6)', () => {
  jest.setTimeout(30000);
  const kit = makeKit({ tokens: true });
  const app = createHttpApp(kit.deps);
  const admin = `Bearer ${ADMIN_TOKEN}`;
  const read = `Bearer ${READ_TOKEN}`;
  const a1 = syntheticPart10(
    inst(STUDY_A, '1', 1, { patientName: 'Doe^Jane', patientId: 'P-A', studyDate: '20260110' }),
  );
  const a2 = syntheticPart10(
    inst(STUDY_A, '1', 2, { patientName: 'Doe^Jane', patientId: 'P-A', studyDate: '20260110' }),
  );
  const b1 = syntheticPart10(
    inst(STUDY_B, '7', 1, {
      patientName: 'Smith^John',
      patientId: 'P-B',
      studyDate: '20250301',
      modality: 'MR',
      accessionNumber: 'ACC-B',
    }),
  );

  it('STOW-RS stores every part and answers 200 with ReferencedSOPSequence (PS3.18 10.5.3)', async () => {
    const m = multipartBody([a1, a2]);
    const res = await request(app)
      .post('/dicomweb/studies')
      .set('Authorization', admin)
      .set('Content-Type', m.contentType)
      .send(m.body);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/dicom\+json/);
    const body = JSON.parse(res.text);
    expect(body['00081190'].Value[0]).toMatch(new RegExp(`/dicomweb/studies/${STUDY_A}$`));
    expect(body['00081199'].Value).toHaveLength(2);
    expect(body['00081199'].Value[0]['00081155'].Value).toEqual([`${STUDY_A}.1.1`]);
    expect(body['00081198']).toBeUndefined();
    expect(kit.calls.stored).toEqual([`${STUDY_A}.1.1`, `${STUDY_A}.1.2`]);
    expect(kit.calls.ended).toHaveLength(1);
    const rows = kit.db.prepare(`SELECT source, calling_ae_title FROM instances`).all();
    expect(rows).toEqual([
      { source: 'stow', calling_ae_title: 'ops' },
      { source: 'stow', calling_ae_title: 'ops' },
    ]);
    const metrics = await request(app).get('/metrics');
    expect(metrics.text).toMatch(
      /pacs_instances_received_total\{sop_class_uid="1.2.840.10008.5.1.4.1.1.2",calling_ae_title="ops"\} 2/,
    );
  });

  it('answers 202 with FailedSOPSequence 0xC000 for a part that is not DICOM, and 409 when nothing is stored', async () => {
    const mixed = multipartBody([b1, Buffer.from('not dicom at all')]);
    const r1 = await request(app)
      .post('/dicomweb/studies')
      .set('Authorization', admin)
      .set('Content-Type', mixed.contentType)
      .send(mixed.body);
    expect(r1.status).toBe(202);
    const j1 = JSON.parse(r1.text);
    expect(j1['00081199'].Value).toHaveLength(1);
    expect(j1['00081198'].Value[0]['00081197']).toEqual({ vr: 'US', Value: [0xc000] });
    const bad = multipartBody([Buffer.from('still not dicom')]);
    const r2 = await request(app)
      .post('/dicomweb/studies')
      .set('Authorization', admin)
      .set('Content-Type', bad.contentType)
      .send(bad.body);
    expect(r2.status).toBe(409);
  });

  it('fails an instance of another study than the target with 0xA900 and does not store it', async () => {
    const other = syntheticPart10(inst(STUDY_B, '8', 1));
    const m = multipartBody([other]);
    const res = await request(app)
      .post(`/dicomweb/studies/${STUDY_A}`)
      .set('Authorization', admin)
      .set('Content-Type', m.contentType)
      .send(m.body);
    expect(res.status).toBe(409);
    expect(JSON.parse(res.text)['00081198'].Value[0]['00081197'].Value).toEqual([0xa900]);
    expect(
      kit.db.prepare('SELECT COUNT(*) AS n FROM instances WHERE sop_instance_uid = ?').get(`${STUDY_B}.8.1`),
    ).toEqual({ n: 0 });
  });

  it('rejects other media types (415), a missing boundary (400) and bodies above maxStowBytes (413) as problem+json', async () => {
    const r415 = await request(app)
      .post('/dicomweb/studies')
      .set('Authorization', admin)
      .set('Content-Type', 'application/json')
      .send('{}');
    expect(r415.status).toBe(415);
    expect(r415.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(r415.body).toMatchObject({
      status: 415,
      title: 'Unsupported Media Type',
      instance: '/dicomweb/studies',
    });
    const r415b = await request(app)
      .post('/dicomweb/studies')
      .set('Authorization', admin)
      .set('Content-Type', 'multipart/related; type="application/dicom+json"; boundary=x')
      .send('--x--');
    expect(r415b.status).toBe(415);
    const r400 = await request(app)
      .post('/dicomweb/studies')
      .set('Authorization', admin)
      .set('Content-Type', 'multipart/related; type="application/dicom"')
      .send('x');
    expect(r400.status).toBe(400);
    const big = multipartBody([Buffer.alloc(6 * 1024 * 1024, 1)]);
    const r413 = await request(app)
      .post('/dicomweb/studies')
      .set('Authorization', admin)
      .set('Content-Type', big.contentType)
      .send(big.body);
    expect(r413.status).toBe(413);
    expect(r413.body).toMatchObject({ status: 413, code: 'LIMIT_EXCEEDED' });
  });

  it('QIDO-RS finds studies by PatientName (wildcard, fuzzy), StudyDate range, ModalitiesInStudy, with limit/offset', async () => {
    const q = (p: string): request.Test => request(app).get(`/dicomweb${p}`).set('Authorization', read);
    const all = await q('/studies');
    expect(all.status).toBe(200);
    expect(all.headers['content-type']).toMatch(/^application\/dicom\+json/);
    expect(all.body).toHaveLength(2);
    const a = all.body.find((s: Record<string, { Value: unknown[] }>) => s['0020000D']!.Value[0] === STUDY_A);
    expect(a['00100010'].Value[0]).toEqual({ Alphabetic: 'Doe^Jane' });
    expect(a['00201208'].Value).toEqual([2]);
    expect(a['00201206'].Value).toEqual([1]);
    expect(a['00080061'].Value).toEqual(['CT']);
    const uids = (r: request.Response): string[] =>
      r.status === 204 ? [] : r.body.map((s: Record<string, { Value: string[] }>) => s['0020000D']!.Value[0]);
    expect(uids(await q('/studies?PatientName=doe*'))).toEqual([STUDY_A]);
    expect(uids(await q('/studies?PatientName=jan&fuzzymatching=true'))).toEqual([STUDY_A]);
    expect(uids(await q('/studies?PatientName=jan'))).toEqual([]);
    expect(uids(await q('/studies?StudyDate=20260101-20261231'))).toEqual([STUDY_A]);
    expect(uids(await q('/studies?StudyDate=-20251231'))).toEqual([STUDY_B]);
    expect(uids(await q('/studies?ModalitiesInStudy=MR'))).toEqual([STUDY_B]);
    expect(uids(await q('/studies?00100020=P-B'))).toEqual([STUDY_B]);
    expect(uids(await q(`/studies?StudyInstanceUID=${STUDY_A},${STUDY_B}`)).sort()).toEqual([
      STUDY_A,
      STUDY_B,
    ]);
    expect(uids(await q('/studies?AccessionNumber=ACC-B'))).toEqual([STUDY_B]);
    expect(uids(await q('/studies?limit=1&offset=1'))).toHaveLength(1);
    const none = await q('/studies?PatientID=nobody');
    expect(none.status).toBe(204);
  });

  it('QIDO-RS series and instances, includefield, and 400 for an unknown key', async () => {
    const series = await request(app).get(`/dicomweb/studies/${STUDY_A}/series`).set('Authorization', read);
    expect(series.body).toHaveLength(1);
    expect(series.body[0]['00201209'].Value).toEqual([2]);
    expect(series.body[0]['00080060'].Value).toEqual(['CT']);
    const instances = await request(app)
      .get(`/dicomweb/studies/${STUDY_A}/series/${STUDY_A}.1/instances?includefield=PatientID`)
      .set('Authorization', read);
    expect(instances.body.map((i: Record<string, { Value: number[] }>) => i['00200013']!.Value[0])).toEqual([
      1, 2,
    ]);
    expect(instances.body[0]['00100020'].Value).toEqual(['P-A']);
    expect(instances.body[0]['00081190'].Value[0]).toMatch(new RegExp(`/instances/${STUDY_A}.1.1$`));
    const mr = await request(app).get('/dicomweb/series?Modality=MR').set('Authorization', read);
    expect(mr.body).toHaveLength(1);
    const bad = await request(app).get('/dicomweb/studies?NotAKeyword=1').set('Authorization', read);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      type: expect.stringContaining('bad-request'),
      title: 'Bad Request',
      status: 400,
    });
  });

  it('WADO-RS returns the stored files byte for byte, metadata as DICOM JSON, rendered PNG and frames', async () => {
    const study = await request(app)
      .get(`/dicomweb/studies/${STUDY_A}`)
      .set('Authorization', read)
      .buffer(true)
      .parse(binaryParser);
    expect(study.status).toBe(200);
    expect(study.headers['content-type']).toMatch(
      /^multipart\/related; type="application\/dicom"; boundary=/,
    );
    const parts = splitMultipart(study.body as Buffer, study.headers['content-type']!);
    expect(parts).toHaveLength(2);
    expect(parts[0]!.equals(a1)).toBe(true);
    expect(parts[1]!.equals(a2)).toBe(true);
    const one = await request(app)
      .get(`/dicomweb/studies/${STUDY_A}/series/${STUDY_A}.1/instances/${STUDY_A}.1.2`)
      .set('Authorization', read)
      .buffer(true)
      .parse(binaryParser);
    expect(splitMultipart(one.body as Buffer, one.headers['content-type']!)[0]!.equals(a2)).toBe(true);
    const meta = await request(app)
      .get(`/dicomweb/studies/${STUDY_A}/series/${STUDY_A}.1/metadata`)
      .set('Authorization', read);
    expect(meta.body).toHaveLength(2);
    expect(meta.body[0]['00080018'].Value).toEqual([`${STUDY_A}.1.1`]);
    expect(meta.body[0]['7FE00010']).toBeUndefined();
    const png = await request(app)
      .get(`/dicomweb/studies/${STUDY_A}/series/${STUDY_A}.1/instances/${STUDY_A}.1.1/frames/1/rendered`)
      .set('Authorization', read)
      .buffer(true)
      .parse(binaryParser);
    expect(png.status).toBe(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect((png.body as Buffer).subarray(1, 4).toString()).toBe('PNG');
    const frames = await request(app)
      .get(`/dicomweb/studies/${STUDY_A}/series/${STUDY_A}.1/instances/${STUDY_A}.1.1/frames/1`)
      .set('Authorization', read)
      .buffer(true)
      .parse(binaryParser);
    const frame = splitMultipart(frames.body as Buffer, frames.headers['content-type']!)[0]!;
    expect(frame.length).toBe(32);
    expect(frame.readUInt16LE(2)).toBe(100);
    const missing = await request(app).get(`/dicomweb/studies/1.2.3.4.5`).set('Authorization', read);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    const noFrame = await request(app)
      .get(`/dicomweb/studies/${STUDY_A}/series/${STUDY_A}.1/instances/${STUDY_A}.1.1/frames/9/rendered`)
      .set('Authorization', read);
    expect(noFrame.status).toBe(404);
  });

  it('sends CORS headers only where configured; preflight answers 204 without a token', async () => {
    const withTokens = await request(app).options('/dicomweb/studies');
    expect(withTokens.status).toBe(204);
    expect(withTokens.headers['access-control-allow-origin']).toBeUndefined();
    const openApp = createHttpApp(makeKit().deps);
    const open = await request(openApp).get('/dicomweb/studies');
    expect(open.headers['access-control-allow-origin']).toBe('*');
  });
});
