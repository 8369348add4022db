import request from 'supertest';
import { createHttpApp, Metrics } from '../../../src/api';
import { openDatabase } from '../../../src/db/openDatabase';
import { makeKit } from './apiTestKit';

describe('health, readiness and metrics', () => {
  jest.setTimeout(20000);

  it('GET /healthz answers while the process is up', async () => {
    const res = await request(createHttpApp(makeKit().deps)).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /readyz is 200 when every check passes', async () => {
    const res = await request(createHttpApp(makeKit().deps)).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body.checks.map((c: { name: string }) => c.name)).toEqual([
      'database',
      'disk',
      'rules',
      'audit-chain',
      'dimse',
    ]);
  });

  it('GET /readyz is 503 naming the failing checks: disk below watermark, no rules, broken chain, DIMSE down', async () => {
    const kit = makeKit({ freeBytes: 100 });
    kit.deps.rules.currentVersion = () => null;
    kit.chain = { ok: false, firstBadSeq: 4, problem: 'row 4 was altered' };
    kit.deps.readiness = () => [{ name: 'dimse', ok: false, detail: 'not listening' }];
    const res = await request(createHttpApp(kit.deps)).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.failing).toEqual(['disk', 'rules', 'audit-chain', 'dimse']);
    expect(res.body.checks.find((c: { name: string }) => c.name === 'audit-chain').detail).toContain('row 4');
  });

  it('GET /readyz fails the database check once it is closed', async () => {
    const kit = makeKit();
    const app = createHttpApp(kit.deps);
    kit.db.close();
    const res = await request(app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.failing).toContain('database');
  });

  it('GET /metrics exposes every metric family in Prometheus text format from its own registry', async () => {
    const kit = makeKit();
    const m = kit.deps.metrics;
    m.instanceReceived('1.2.840.10008.5.1.4.1.1.2', 'CT1', 1000);
    m.associationRejected('calling-ae-not-recognized');
    m.seriesCompleted('quiet-period');
    m.inferenceDuration('brain-gwm', 2.5);
    m.timeToResult(42);
    m.deliveryOutcome('pacs', 'success');
    m.diskFreeMeasured(123456);
    m.auditChainChecked(true);
    const res = await request(createHttpApp(kit.deps)).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0.0.4/);
    for (const line of [
      'pacs_instances_received_total{sop_class_uid="1.2.840.10008.5.1.4.1.1.2",calling_ae_title="CT1"} 1',
      'pacs_received_bytes_total 1000',
      'pacs_associations_rejected_total{reason="calling-ae-not-recognized"} 1',
      'pacs_series_completed_total{signal="quiet-period"} 1',
      'pacs_inference_duration_seconds_count{model="brain-gwm"} 1',
      'pacs_time_to_result_seconds_sum 42',
      'pacs_deliveries_total{destination="pacs",outcome="success"} 1',
      'pacs_jobs{state="received"} 0',
      'pacs_outbox_depth 0',
      'pacs_dead_letters 0',
      'pacs_disk_free_bytes 123456',
      'pacs_audit_chain_ok 1',
    ])
      expect(res.text).toContain(line);
    // Two apps never share a registry.
    expect(new Metrics().registry).not.toBe(m.registry);
  });

  it('collects outbox depth and dead letters from the deliveries table (migrations/0002)', async () => {
    const db = openDatabase(':memory:');
    const insert = db.prepare(
      `INSERT INTO deliveries (sop_instance_uid, sop_class_uid, study_instance_uid, series_instance_uid, file_path, destination,
         state, next_attempt_at, created_at, updated_at) VALUES (?, '1.2', '1.3', '1.4', '/x', 'pacs', ?, 0, '', '')`,
    );
    insert.run('1.5.1', 'pending');
    insert.run('1.5.2', 'in_flight');
    insert.run('1.5.3', 'dead');
    const text = await new Metrics({ db }).text();
    expect(text).toContain('pacs_outbox_depth 2');
    expect(text).toContain('pacs_dead_letters 1');
    expect(text).toContain('pacs_deliveries{state="dead"} 1');
  });
});
