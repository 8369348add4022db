import { AuditLog, verifyAuditChain } from '../../../src/audit';
import { JobRepository } from '../../../src/db/jobRepository';
import { openDatabase } from '../../../src/db/openDatabase';
import { SeriesRepository } from '../../../src/db/seriesRepository';
import { silentLogger } from '../../../src/logging/logger';
import { FakeClock } from '../../../src/pipeline/clock';
import { Orchestrator, type OrchestratorOptions } from '../../../src/pipeline/orchestrator';
import type {
  EncodedObject,
  InferenceResult,
  RouteActions,
  RouteDecision,
} from '../../../src/pipeline/types';

const SERIES = '1.2.3.4';

function decision(actions: Partial<RouteActions>, matched = ['brain']): RouteDecision {
  return {
    seriesInstanceUid: SERIES,
    rulesVersion: 'v1',
    matched,
    trace: [],
    actions: {
      run: [],
      deliver: [],
      forward: [],
      discard: false,
      notify: [],
      onResult: [],
      priority: 'normal',
      level: 'series',
      ...actions,
    },
  };
}

function result(outOfScope = false): InferenceResult {
  return {
    modelId: 'brain-gwm',
    modelVersion: '1.0.0',
    modelName: 'Brain',
    task: 'segmentation',
    algorithmParameters: {},
    studyInstanceUid: '1.2',
    seriesInstanceUid: SERIES,
    sourceInstances: [],
    outOfScope,
    reason: outOfScope ? 'not a brain MR' : null,
    findings: [],
    measurements: [
      {
        name: 'White matter volume',
        code: { value: 'x', scheme: 'SCT', meaning: 'x' },
        value: 518.5,
        unit: { code: 'mL', meaning: 'milliliter' },
      },
    ],
    results: ['SR'],
    durationMs: 5,
  };
}

function setup(route: RouteDecision, opts: { outOfScope?: boolean; inferThrows?: boolean } = {}) {
  const db = openDatabase(':memory:');
  const clock = new FakeClock();
  const audit = new AuditLog(db, clock);
  const jobs = new JobRepository(db, audit, clock);
  const series = new SeriesRepository(db);
  db.prepare(
    `INSERT INTO series (series_instance_uid, study_instance_uid, modality, state, first_received_at, last_received_at, completed_at)
     VALUES (?, '1.2', 'MR', 'complete', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:30.000Z')`,
  ).run(SERIES);
  const calls = {
    infer: 0,
    encode: 0,
    enqueued: [] as Array<{ objects: EncodedObject[]; destinations: string[] }>,
  };
  let deliveryState: 'pending' | 'delivered' | 'dead' | 'none' = 'none';
  const o: OrchestratorOptions = {
    jobs,
    series,
    audit,
    clock,
    logger: silentLogger,
    resolvePath: (p) => `/data/${p}`,
    router: { route: async () => route },
    infer: {
      run: async () => {
        calls.infer++;
        if (opts.inferThrows) throw new Error('model exploded');
        return result(opts.outOfScope);
      },
    },
    encode: {
      encode: async (r) => {
        calls.encode++;
        return [
          {
            kind: 'SR',
            sopClassUid: '1.2.840.10008.5.1.4.1.1.88.33',
            sopInstanceUid: '2.25.1',
            seriesInstanceUid: '2.25.2',
            studyInstanceUid: r.studyInstanceUid,
            transferSyntaxUid: '1.2.840.10008.1.2.1',
            filePath: '/out/sr.dcm',
            modelId: r.modelId,
            modelVersion: r.modelVersion,
          },
        ];
      },
    },
    deliver: {
      enqueue: (objects, destinations) => {
        calls.enqueued.push({ objects, destinations });
        deliveryState = 'pending';
        return [1];
      },
      jobDeliveryState: () => deliveryState,
    },
    resultConditions: { apply: () => ({ deliver: [], notify: [] }) },
    deliveryPollMs: 1000,
    studyQuietMs: 60_000,
  };
  const orch = new Orchestrator(o);
  const job = jobs.create(SERIES);
  jobs.transition(job.id, 'complete');
  return {
    db,
    clock,
    jobs,
    orch,
    jobId: job.id,
    calls,
    setDelivery: (s: typeof deliveryState) => (deliveryState = s),
  };
}

describe('Orchestrator', () => {
  it('routes, infers, encodes, enqueues, and marks the job delivered when the outbox is done', async () => {
    const t = setup(decision({ run: [{ model: 'brain-gwm', settings: {} }], deliver: ['pacs'] }));
    t.orch.seriesCompleted({} as never, t.jobId);
    await t.orch.idle();
    expect(t.jobs.get(t.jobId).state).toBe('delivering');
    expect(t.jobs.get(t.jobId).rules_version).toBe('v1');
    expect(t.calls.enqueued[0]!.destinations).toEqual(['pacs']);
    t.setDelivery('delivered');
    t.clock.advance(1000);
    await t.orch.idle();
    expect(t.jobs.get(t.jobId).state).toBe('delivered');
    const states = (
      t.db
        .prepare(`SELECT detail FROM audit_events WHERE event = 'job.transition' AND subject = ?`)
        .all(t.jobId) as Array<{ detail: string }>
    ).map((r) => (JSON.parse(r.detail) as { to: string }).to);
    expect(states).toEqual(['complete', 'routed', 'inferring', 'encoded', 'delivering', 'delivered']);
    expect(verifyAuditChain(t.db).ok).toBe(true);
  });

  it('discards a series no rule wants, recording the rules version', async () => {
    const t = setup(decision({}, []));
    t.orch.seriesCompleted({} as never, t.jobId);
    await t.orch.idle();
    expect(t.jobs.get(t.jobId)).toMatchObject({ state: 'discarded', rules_version: 'v1' });
    expect(t.calls.infer).toBe(0);
  });

  it('ends out_of_scope with the reason when the model refuses the series', async () => {
    const t = setup(decision({ run: [{ model: 'brain-gwm', settings: {} }], deliver: ['pacs'] }), {
      outOfScope: true,
    });
    t.orch.seriesCompleted({} as never, t.jobId);
    await t.orch.idle();
    expect(t.jobs.get(t.jobId)).toMatchObject({ state: 'out_of_scope', error: 'brain-gwm: not a brain MR' });
    expect(t.calls.encode).toBe(0);
  });

  it('fails a job whose model throws, remembering where, and retries it from there', async () => {
    const behaviour = { inferThrows: true };
    const t = setup(decision({ run: [{ model: 'brain-gwm', settings: {} }], deliver: ['pacs'] }), behaviour);
    t.orch.seriesCompleted({} as never, t.jobId);
    await t.orch.idle();
    expect(t.jobs.get(t.jobId)).toMatchObject({
      state: 'failed',
      failed_from: 'inferring',
      error: 'model exploded',
    });
    behaviour.inferThrows = false;
    t.orch.retry(t.jobId, 'admin');
    await t.orch.idle();
    expect(t.jobs.get(t.jobId)).toMatchObject({ state: 'delivering', error: null });
    expect(t.calls.infer).toBe(2);
  });

  it('resumes unfinished jobs after a restart from their persisted state', async () => {
    const t = setup(decision({ run: [{ model: 'brain-gwm', settings: {} }], deliver: ['pacs'] }));
    t.jobs.transition(t.jobId, 'routed', {
      rulesVersion: 'v1',
      detail: { decision: decision({ run: [{ model: 'brain-gwm', settings: {} }], deliver: ['pacs'] }) },
    });
    t.jobs.transition(t.jobId, 'inferring');
    // a new orchestrator, as after a crash
    expect(t.orch.resume()).toBe(1);
    await t.orch.idle();
    expect(t.calls.infer).toBe(1);
    expect(t.jobs.get(t.jobId).state).toBe('delivering');
  });

  it('marks the job failed when a delivery became a dead letter', async () => {
    const t = setup(decision({ run: [{ model: 'brain-gwm', settings: {} }], deliver: ['pacs'] }));
    t.orch.seriesCompleted({} as never, t.jobId);
    await t.orch.idle();
    t.setDelivery('dead');
    t.orch.deliveryChanged(t.jobId);
    await t.orch.idle();
    expect(t.jobs.get(t.jobId)).toMatchObject({ state: 'failed', failed_from: 'delivering' });
    t.setDelivery('delivered');
    t.orch.deliveryChanged(t.jobId);
    await t.orch.idle();
    expect(t.jobs.get(t.jobId).state).toBe('delivered');
  });

  it('holds a study-level job until no series of the study is receiving and the study has been quiet', async () => {
    const t = setup(
      decision({ run: [{ model: 'brain-gwm', settings: {} }], deliver: ['pacs'], level: 'study' }),
    );
    t.db
      .prepare(
        `INSERT INTO series (series_instance_uid, study_instance_uid, modality, state, first_received_at, last_received_at)
         VALUES ('1.2.3.5', '1.2', 'MR', 'receiving', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`,
      )
      .run();
    t.orch.seriesCompleted({} as never, t.jobId);
    await t.orch.idle();
    expect(t.jobs.get(t.jobId).state).toBe('complete');
    expect(t.calls.infer).toBe(0);
    // The other series completes; the study then has to stay quiet for studyQuietMs.
    t.db
      .prepare(`UPDATE series SET state = 'complete', completed_at = ? WHERE series_instance_uid = '1.2.3.5'`)
      .run(new Date(t.clock.now()).toISOString());
    t.clock.advance(60_000);
    await t.orch.idle();
    expect(t.calls.infer).toBe(0);
    t.clock.advance(60_000);
    await t.orch.idle();
    expect(t.calls.infer).toBe(1);
    expect(t.jobs.get(t.jobId).state).toBe('delivering');
  });
});
