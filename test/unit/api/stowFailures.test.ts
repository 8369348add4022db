import request from 'supertest';
import { createHttpApp } from '../../../src/api';
import { makeKit, multipartBody, syntheticPart10 } from './apiTestKit';

const STUDY = '1.2.826.0.1.3680043.10.904.1';
const file = (n: number): Buffer =>
  syntheticPart10({
    studyInstanceUid: STUDY,
    seriesInstanceUid: `${STUDY}.1`,
    sopInstanceUid: `${STUDY}.1.${n}`,
    instanceNumber: n,
  });

describe('STOW-RS failure paths (PS3.18 10.5.3)', () => {
  jest.setTimeout(20000);

  it('an instance the store refuses mid-stream fails alone (0xA700) and the next part is still stored', async () => {
    const kit = makeKit({ storeMaxBytes: 2048 });
    const app = createHttpApp(kit.deps);
    const padded = syntheticPart10({
      studyInstanceUid: STUDY,
      seriesInstanceUid: `${STUDY}.1`,
      sopInstanceUid: `${STUDY}.1.9`,
    });
    const tooLarge = Buffer.concat([padded, Buffer.alloc(600 * 1024)]);
    const m = multipartBody([tooLarge, file(1)]);
    const res = await request(app).post('/dicomweb/studies').set('Content-Type', m.contentType).send(m.body);
    expect(res.status).toBe(202);
    const body = JSON.parse(res.text);
    expect(body['00081198'].Value).toEqual([
      {
        '00081150': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] },
        '00081155': { vr: 'UI', Value: [`${STUDY}.1.9`] },
        '00081197': { vr: 'US', Value: [0xa700] },
      },
    ]);
    expect(
      body['00081199'].Value.map((i: Record<string, { Value: string[] }>) => i['00081155']!.Value[0]),
    ).toEqual([`${STUDY}.1.1`]);
    // The server is still healthy afterwards.
    expect((await request(app).get('/healthz')).status).toBe(200);
  });

  it('disk below the watermark: every instance fails with 0xA700 and the answer is 409', async () => {
    const kit = makeKit({ storeMinFreeMb: 1024 * 1024 * 1024 });
    const m = multipartBody([file(1), file(2)]);
    const res = await request(createHttpApp(kit.deps))
      .post('/dicomweb/studies')
      .set('Content-Type', m.contentType)
      .send(m.body);
    expect(res.status).toBe(409);
    expect(
      JSON.parse(res.text)['00081198'].Value.map(
        (i: Record<string, { Value: number[] }>) => i['00081197']!.Value[0],
      ),
    ).toEqual([0xa700, 0xa700]);
    expect(kit.db.prepare('SELECT COUNT(*) AS n FROM instances').get()).toEqual({ n: 0 });
  });

  it('a re-sent instance is kept once and answered as stored', async () => {
    const kit = makeKit();
    const app = createHttpApp(kit.deps);
    const m = multipartBody([file(1)]);
    await request(app)
      .post(`/dicomweb/studies/${STUDY}`)
      .set('Content-Type', m.contentType)
      .send(m.body)
      .expect(200);
    await request(app)
      .post(`/dicomweb/studies/${STUDY}`)
      .set('Content-Type', m.contentType)
      .send(m.body)
      .expect(200);
    expect(kit.db.prepare('SELECT COUNT(*) AS n FROM instances').get()).toEqual({ n: 1 });
  });

  it('a part of another media type fails with 0xC000; a body without parts is a 400; a truncated body is a 400', async () => {
    const kit = makeKit();
    const app = createHttpApp(kit.deps);
    const m = multipartBody([{ body: Buffer.from('{}'), contentType: 'application/json' }, file(1)]);
    const res = await request(app).post('/dicomweb/studies').set('Content-Type', m.contentType).send(m.body);
    expect(res.status).toBe(202);
    expect(JSON.parse(res.text)['00081198'].Value[0]['00081197'].Value).toEqual([0xc000]);
    const empty = await request(app)
      .post('/dicomweb/studies')
      .set('Content-Type', 'multipart/related; type="application/dicom"; boundary=b')
      .send('--b--');
    expect(empty.status).toBe(400);
    const truncated = await request(app)
      .post('/dicomweb/studies')
      .set('Content-Type', 'multipart/related; type="application/dicom"; boundary=b')
      .send(
        Buffer.concat([
          Buffer.from('--b\r\nContent-Type: application/dicom\r\n\r\n'),
          file(3).subarray(0, 500),
        ]),
      );
    expect(truncated.status).toBe(400);
    expect(truncated.body).toMatchObject({ status: 400, detail: expect.stringContaining('close delimiter') });
  });
});
