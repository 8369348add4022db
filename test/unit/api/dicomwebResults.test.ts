import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { createHttpApp } from '../../../src/api';
import { purgeRetention } from '../../../src/jobs';
import { silentLogger } from '../../../src/logging/logger';
import { AuditLog } from '../../../src/audit';
import { makeKit, multipartBody, syntheticPart10 } from './apiTestKit';

const STUDY = '1.2.826.0.1.3680043.10.903.1';

describe('DICOMweb serves results the node wrote (deliveries table) beside the inputs', () => {
  jest.setTimeout(20000);

  it('indexes a result file from the outbox, serves it in its study, and hides it once retention removed it', async () => {
    const kit = makeKit();
    const app = createHttpApp(kit.deps);
    const m = multipartBody([
      syntheticPart10({
        studyInstanceUid: STUDY,
        seriesInstanceUid: `${STUDY}.1`,
        sopInstanceUid: `${STUDY}.1.1`,
      }),
    ]);
    await request(app).post('/dicomweb/studies').set('Content-Type', m.contentType).send(m.body).expect(200);

    const resultFile = path.join(kit.dataDir, 'results', 'r1.dcm');
    fs.mkdirSync(path.dirname(resultFile), { recursive: true });
    const resultBytes = syntheticPart10({
      studyInstanceUid: STUDY,
      seriesInstanceUid: `${STUDY}.900`,
      sopInstanceUid: `${STUDY}.900.1`,
      modality: 'SEG',
    });
    fs.writeFileSync(resultFile, resultBytes);
    const at = new Date(kit.clock.now()).toISOString();
    kit.db
      .prepare(
        `INSERT INTO deliveries (sop_instance_uid, sop_class_uid, study_instance_uid, series_instance_uid, file_path, destination, state,
           next_attempt_at, created_at, updated_at, delivered_at) VALUES (?, '1.2.840.10008.5.1.4.1.1.2', ?, ?, ?, ?, 'delivered', 0, ?, ?, ?)`,
      )
      .run(`${STUDY}.900.1`, STUDY, `${STUDY}.900`, resultFile, 'pacs', at, at, at);
    kit.db
      .prepare(
        `INSERT INTO deliveries (sop_instance_uid, sop_class_uid, study_instance_uid, series_instance_uid, file_path, destination, state,
           next_attempt_at, created_at, updated_at, delivered_at) VALUES (?, '1.2.840.10008.5.1.4.1.1.2', ?, ?, ?, ?, 'delivered', 0, ?, ?, ?)`,
      )
      .run(`${STUDY}.900.1`, STUDY, `${STUDY}.900`, resultFile, 'archive', at, at, at);

    const study = await request(app).get(`/dicomweb/studies?StudyInstanceUID=${STUDY}`).expect(200);
    expect(study.body[0]['00201206'].Value).toEqual([2]);
    expect(study.body[0]['00080061'].Value).toEqual(['CT', 'SEG']);
    const series = await request(app).get(`/dicomweb/studies/${STUDY}/series?Modality=SEG`).expect(200);
    expect(series.body.map((s: Record<string, { Value: string[] }>) => s['0020000E']!.Value[0])).toEqual([
      `${STUDY}.900`,
    ]);
    const retrieved = await request(app)
      .get(`/dicomweb/studies/${STUDY}/series/${STUDY}.900/instances/${STUDY}.900.1`)
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect((retrieved.body as Buffer).includes(resultBytes)).toBe(true);

    kit.clock.advance(31 * 24 * 3600 * 1000);
    const summary = purgeRetention(
      {
        db: kit.db,
        dataDir: kit.dataDir,
        audit: new AuditLog(kit.db, kit.clock),
        logger: silentLogger,
        retentionDays: 30,
      },
      kit.clock.now(),
    );
    expect(summary).toMatchObject({ inputInstances: 1, results: 1 });
    expect(fs.existsSync(resultFile)).toBe(false);
    expect((await request(app).get(`/dicomweb/studies?StudyInstanceUID=${STUDY}`)).status).toBe(204);
    expect((await request(app).get(`/dicomweb/studies/${STUDY}`)).status).toBe(404);
  });
});
