import request from 'supertest';
import { createHttpApp } from '../../../src/api';
import { JobRepository } from '../../../src/db/jobRepository';
import { AuditLog } from '../../../src/audit';
import { ADMIN_TOKEN, makeKit, multipartBody, READ_TOKEN, syntheticPart10 } from './apiTestKit';

const STUDY = '1.2.826.0.1.3680043.10.901.1';
const SERIES = `${STUDY}.1`;

describe('admin API (/api)', () => {
  jest.setTimeout(20000);
  const kit = makeKit({ tokens: true });
  const app = createHttpApp(kit.deps);
  const read = `Bearer ${READ_TOKEN}`;
  const admin = `Bearer ${ADMIN_TOKEN}`;
  let jobId = '';

  beforeAll(async () => {
    const m = multipartBody([
      syntheticPart10({ studyInstanceUid: STUDY, seriesInstanceUid: SERIES, sopInstanceUid: `${SERIES}.1` }),
    ]);
    await request(app)
      .post('/dicomweb/studies')
      .set('Authorization', admin)
      .set('Content-Type', m.contentType)
      .send(m.body)
      .expect(200);
    const jobs = new JobRepository(kit.db, new AuditLog(kit.db, kit.clock), kit.clock);
    jobId = jobs.create(SERIES).id;
    jobs.transition(jobId, 'complete');
    jobs.transition(jobId, 'routed', { rulesVersion: 'v1' });
  });

  it('GET /api/series lists series with paging; bad paging is a 400 problem', async () => {
    const res = await request(app).get('/api/series?limit=10').set('Authorization', read).expect(200);
    expect(res.body.items.map((s: { series_instance_uid: string }) => s.series_instance_uid)).toEqual([
      SERIES,
    ]);
    const bad = await request(app).get('/api/series?limit=0').set('Authorization', read);
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(bad.body).toEqual({
      type: 'urn:pacs-ai-node:problem:bad-request',
      title: 'Bad Request',
      status: 400,
      detail: expect.stringContaining('limit'),
      instance: '/api/series?limit=0',
      code: 'BAD_REQUEST',
      errors: [expect.stringContaining('limit')],
    });
    expect((await request(app).get('/api/series?colour=blue').set('Authorization', read)).status).toBe(400);
  });

  it('GET /api/jobs filters by state; an unknown state is a 400', async () => {
    const routed = await request(app).get('/api/jobs?state=routed').set('Authorization', read).expect(200);
    expect(routed.body.items.map((j: { id: string }) => j.id)).toEqual([jobId]);
    const none = await request(app).get('/api/jobs?state=delivered').set('Authorization', read).expect(200);
    expect(none.body.items).toEqual([]);
    expect((await request(app).get('/api/jobs?state=sleeping').set('Authorization', read)).status).toBe(400);
  });

  it('GET /api/jobs/:id returns the job with its audit events and rules version; 404 otherwise', async () => {
    const res = await request(app).get(`/api/jobs/${jobId}`).set('Authorization', read).expect(200);
    expect(res.body.rulesVersion).toBe('v1');
    expect(res.body.auditEvents.map((e: { event: string }) => e.event)).toEqual([
      'job.created',
      'job.transition',
      'job.transition',
    ]);
    const missing = await request(app).get('/api/jobs/nope').set('Authorization', read);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({
      type: 'urn:pacs-ai-node:problem:not-found',
      status: 404,
      instance: '/api/jobs/nope',
    });
  });

  it('GET /api/audit filters by since (sequence or time) and event', async () => {
    const all = await request(app).get('/api/audit').set('Authorization', read).expect(200);
    expect(all.body.items.length).toBeGreaterThan(3);
    const after = await request(app)
      .get('/api/audit?since=2&event=job.transition')
      .set('Authorization', read)
      .expect(200);
    expect(
      after.body.items.every(
        (e: { seq: number; event: string }) => e.seq > 2 && e.event === 'job.transition',
      ),
    ).toBe(true);
    const byTime = await request(app)
      .get('/api/audit?since=2030-01-01T00:00:00Z')
      .set('Authorization', read)
      .expect(200);
    expect(byTime.body.items).toEqual([]);
    expect((await request(app).get('/api/audit?since=yesterday').set('Authorization', read)).status).toBe(
      400,
    );
  });

  it('POST /api/rules/check takes YAML; other media types are a 415', async () => {
    const ok = await request(app)
      .post('/api/rules/check')
      .set('Authorization', read)
      .set('Content-Type', 'application/yaml')
      .send('rules: []')
      .expect(200);
    expect(ok.body).toEqual({ ok: true, problems: [], version: 'v-check' });
    const bad = await request(app)
      .post('/api/rules/check')
      .set('Authorization', read)
      .set('Content-Type', 'text/plain')
      .send('nothing')
      .expect(200);
    expect(bad.body.ok).toBe(false);
    expect(
      (
        await request(app)
          .post('/api/rules/check')
          .set('Authorization', read)
          .set('Content-Type', 'application/json')
          .send('{}')
      ).status,
    ).toBe(415);
  });

  it('POST /api/rules/explain over a stored series, a DICOM body, or multipart; invalid inputs are 400/404/415', async () => {
    const stored = await request(app)
      .post('/api/rules/explain')
      .set('Authorization', read)
      .set('Content-Type', 'application/json')
      .send({ seriesInstanceUid: SERIES })
      .expect(200);
    expect(stored.body).toMatchObject({
      rulesVersion: 'v1',
      series: 1,
      result: [{ instances: 1, matched: ['ct-rule'] }],
    });
    const file = syntheticPart10({
      studyInstanceUid: STUDY,
      seriesInstanceUid: `${STUDY}.9`,
      sopInstanceUid: `${STUDY}.9.1`,
    });
    const one = await request(app)
      .post('/api/rules/explain')
      .set('Authorization', read)
      .set('Content-Type', 'application/dicom')
      .send(file)
      .expect(200);
    expect(one.body.series).toBe(1);
    const m = multipartBody([
      file,
      syntheticPart10({
        studyInstanceUid: STUDY,
        seriesInstanceUid: `${STUDY}.8`,
        sopInstanceUid: `${STUDY}.8.1`,
      }),
    ]);
    const two = await request(app)
      .post('/api/rules/explain')
      .set('Authorization', read)
      .set('Content-Type', m.contentType)
      .send(m.body)
      .expect(200);
    expect(two.body.series).toBe(2);
    expect(kit.calls.explain.at(-1)!.map((s) => s.length)).toEqual([1, 1]);
    expect(
      (
        await request(app)
          .post('/api/rules/explain')
          .set('Authorization', read)
          .set('Content-Type', 'application/json')
          .send({ seriesInstanceUid: '9.9' })
      ).status,
    ).toBe(404);
    expect(
      (
        await request(app)
          .post('/api/rules/explain')
          .set('Authorization', read)
          .set('Content-Type', 'application/json')
          .send({ wrong: 1 })
      ).status,
    ).toBe(400);
    expect(
      (
        await request(app)
          .post('/api/rules/explain')
          .set('Authorization', read)
          .set('Content-Type', 'application/json')
          .send('{not json')
      ).status,
    ).toBe(400);
    expect(
      (
        await request(app)
          .post('/api/rules/explain')
          .set('Authorization', read)
          .set('Content-Type', 'application/dicom')
          .send(Buffer.from('junk'))
      ).status,
    ).toBe(400);
    expect(
      (
        await request(app)
          .post('/api/rules/explain')
          .set('Authorization', read)
          .set('Content-Type', 'text/plain')
          .send('x')
      ).status,
    ).toBe(415);
  });

  it('POST /api/rules/reload and /api/deliveries/:id/replay pass the actor and are audited', async () => {
    const r = await request(app).post('/api/rules/reload').set('Authorization', admin).expect(200);
    expect(r.body).toEqual({ ok: true, problems: [], version: 'v2' });
    const d = await request(app).post('/api/deliveries/d7/replay').set('Authorization', admin).expect(200);
    expect(d.body).toMatchObject({ id: 'd7', replayed: true });
    expect(kit.calls.replay).toEqual([{ id: 'd7', actor: 'ops' }]);
    const audit = kit.db
      .prepare(`SELECT actor, subject FROM audit_events WHERE event = 'api.delivery.replay_requested'`)
      .all();
    expect(audit).toEqual([{ actor: 'ops', subject: 'd7' }]);
  });

  it('GET /api/models, /api/deliveries?state=, /api/scheduled-jobs', async () => {
    expect(
      (await request(app).get('/api/models').set('Authorization', read).expect(200)).body.items[0].id,
    ).toBe('brain-gwm');
    expect(
      (await request(app).get('/api/deliveries?state=dead').set('Authorization', read).expect(200)).body
        .items,
    ).toEqual([{ id: 'd1', state: 'dead' }]);
    expect((await request(app).get('/api/deliveries?state=lost').set('Authorization', read)).status).toBe(
      400,
    );
    expect(
      (await request(app).get('/api/scheduled-jobs').set('Authorization', read).expect(200)).body,
    ).toEqual({ items: [] });
  });

  it('maps errors thrown by a port to problem+json; internal errors do not leak their message', async () => {
    const k = makeKit();
    k.deps.deliveries.replay = () => {
      throw new Error('secret internals');
    };
    const res = await request(createHttpApp(k.deps)).post('/api/deliveries/x/replay');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({
      type: 'urn:pacs-ai-node:problem:internal',
      title: 'Internal Server Error',
      status: 500,
      detail: 'internal error; see the node log',
      instance: '/api/deliveries/x/replay',
      code: 'INTERNAL',
    });
    const unknown = await request(createHttpApp(k.deps)).get('/api/nothing-here');
    expect(unknown.status).toBe(404);
  });
});
