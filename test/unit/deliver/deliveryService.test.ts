import { AuditLog } from '../../../src/audit';
import { destinationSchema } from '../../../src/config/nodeConfigSchema';
import { openDatabase, type Db } from '../../../src/db/openDatabase';
import { DeliveryService, DestinationRegistry, type SendResult } from '../../../src/deliver';
import { silentLogger } from '../../../src/logging/logger';
import { FakeClock } from '../../../src/pipeline/clock';
import { ConfigError } from '../../../src/pipeline/errors';
import type { EncodedObject } from '../../../src/pipeline/types';

/** A scripted destination: answers from a queue, records what it was asked to send. */
function scripted() {
  const answers: SendResult[] = [];
  const sent: string[][] = [];
  const registry = new DestinationRegistry().register('fake', {
    describe: 'fake://x',
    check: () => [],
    factory: (_u, ctx) => ({
      name: ctx.name,
      async send(items) {
        sent.push(items.map((i) => i.sopInstanceUid));
        return items.map(
          () => answers.shift() ?? { statusClass: 'success', status: 0, retryable: false, message: 'ok' },
        );
      },
    }),
  });
  return { answers, sent, registry };
}

const ok: SendResult = { statusClass: 'success', status: 0, retryable: false, message: '0000 Success' };
const busy: SendResult = {
  statusClass: 'failure',
  status: 0xa700,
  retryable: true,
  message: 'A700 out of resources',
};
const refused: SendResult = {
  statusClass: 'failure',
  status: 0x0122,
  retryable: false,
  message: '0122 SOP class not supported',
};
const warn: SendResult = {
  statusClass: 'warning',
  status: 0xb000,
  retryable: false,
  message: 'B000 coercion',
};

function object(n: number): EncodedObject {
  return {
    kind: 'SR',
    sopClassUid: '1.2.840.10008.5.1.4.1.1.88.33',
    sopInstanceUid: `2.25.${n}`,
    seriesInstanceUid: '2.25.900',
    studyInstanceUid: '2.25.800',
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    filePath: `/results/${n}.dcm`,
    modelId: 'm',
    modelVersion: '1',
  };
}

function events(db: Db, subject?: string): string[] {
  const rows = db.prepare(`SELECT event, subject FROM audit_events ORDER BY seq`).all() as Array<{
    event: string;
    subject: string;
  }>;
  return rows.filter((r) => subject === undefined || r.subject === subject).map((r) => r.event);
}

function setup(maxAttempts = 3) {
  const db = openDatabase(':memory:');
  const clock = new FakeClock();
  const audit = new AuditLog(db, clock);
  const s = scripted();
  const changes: string[] = [];
  const service = new DeliveryService({
    onChange: (c) => changes.push(`${c.id}:${c.outcome}`),
    db,
    audit,
    clock,
    logger: silentLogger,
    callingAeTitle: 'PACSAI',
    destinations: {
      pacs: destinationSchema.parse({
        url: 'fake://pacs',
        maxAttempts,
        initialBackoffSeconds: 10,
        maxBackoffSeconds: 60,
      }),
    },
    registry: s.registry,
    random: () => 0,
  });
  return { db, clock, audit, service, changes, ...s };
}

describe('DeliveryService outbox', () => {
  test('enqueue → delivered, audited enqueued/attempt/delivered', async () => {
    const { db, service } = setup();
    const [id] = service.enqueue([object(1)], ['pacs']);
    const outcomes = await service.processDue();
    expect(outcomes).toEqual([
      {
        destination: 'pacs',
        sopInstanceUid: '2.25.1',
        status: 'success',
        statusCode: 0,
        message: 'ok',
        retryable: false,
      },
    ]);
    expect(service.list({})[0]).toMatchObject({
      id,
      state: 'delivered',
      attempts: 1,
      last_status: 0,
      last_status_class: 'success',
    });
    expect(events(db, String(id))).toEqual(['delivery.enqueued', 'delivery.attempt', 'delivery.delivered']);
  });

  test('a warning counts as delivered and is recorded truthfully', async () => {
    const { service, answers } = setup();
    answers.push(warn);
    service.enqueue([object(1)], ['pacs']);
    await service.processDue();
    expect(service.list({})[0]).toMatchObject({
      state: 'delivered',
      last_status: 0xb000,
      last_status_class: 'warning',
    });
  });

  test('retryable failures back off (equal jitter, random pinned) until maxAttempts, then dead', async () => {
    const { db, clock, service, answers, sent } = setup(3);
    answers.push(busy, busy, busy);
    const [id] = service.enqueue([object(1)], ['pacs']);
    const t0 = clock.now();
    await service.processDue();
    let row = service.list({})[0]!;
    expect(row).toMatchObject({ state: 'pending', attempts: 1, last_status: 0xa700 });
    expect(row.next_attempt_at - t0).toBe(5000); // base 10 s, jitter 0 → base/2
    expect(await service.processDue()).toEqual([]); // not due yet
    clock.advance(5000);
    await service.processDue();
    row = service.list({})[0]!;
    expect(row.next_attempt_at - clock.now()).toBe(10000); // base 20 s → 10 s
    clock.advance(10000);
    await service.processDue();
    expect(service.list({})[0]).toMatchObject({ state: 'dead', attempts: 3 });
    expect(sent).toHaveLength(3);
    expect(events(db, String(id))).toEqual([
      'delivery.enqueued',
      'delivery.attempt',
      'delivery.failed',
      'delivery.attempt',
      'delivery.failed',
      'delivery.attempt',
      'delivery.failed',
      'delivery.dead',
    ]);
  });

  test('a non-retryable failure is dead at once; replay makes it pending with attempts reset', async () => {
    const { db, service, answers, changes } = setup(5);
    answers.push(refused);
    const [id] = service.enqueue([object(1)], ['pacs']);
    await service.processDue();
    expect(service.list({ state: 'dead' })).toHaveLength(1);
    service.replay(id!, 'cli');
    expect(service.list({})[0]).toMatchObject({ state: 'pending', attempts: 0 });
    const replayed = db.prepare(`SELECT actor FROM audit_events WHERE event = 'delivery.replayed'`).get() as {
      actor: string;
    };
    expect(replayed.actor).toBe('cli');
    await service.processDue();
    expect(service.list({})[0]).toMatchObject({ state: 'delivered', attempts: 1 });
    expect(changes).toEqual([`${id}:dead`, `${id}:replayed`, `${id}:delivered`]);
  });

  test('replayAllDead counts the rows it replayed', async () => {
    const { service, answers } = setup(1);
    answers.push(busy, busy);
    service.enqueue([object(1), object(2)], ['pacs']);
    await service.processDue();
    expect(service.list({ state: 'dead' })).toHaveLength(2);
    expect(service.replayAllDead()).toBe(2);
    expect(service.list({ state: 'pending' })).toHaveLength(2);
  });

  test('re-enqueueing the same object replaces its row instead of duplicating', async () => {
    const { service } = setup();
    const [a] = service.enqueue([object(1)], ['pacs']);
    await service.processDue();
    const [b] = service.enqueue([{ ...object(1), filePath: '/results/new.dcm' }], ['pacs']);
    expect(b).toBe(a);
    expect(service.list({})).toHaveLength(1);
    expect(service.list({})[0]).toMatchObject({
      state: 'pending',
      attempts: 0,
      file_path: '/results/new.dcm',
    });
  });

  test('enqueued again while being sent: the attempt is audited as superseded and the row stays pending', async () => {
    const { db, service, answers } = setup();
    answers.push(ok);
    const [id] = service.enqueue([object(1)], ['pacs']);
    const round = service.processDue();
    // The row is in flight now (marked synchronously before the send); a re-run enqueues it again.
    service.enqueue([{ ...object(1), filePath: '/results/rerun.dcm' }], ['pacs']);
    const [outcome] = await round;
    expect(outcome!.message).toMatch(/superseded/);
    expect(service.list({})[0]).toMatchObject({
      id,
      state: 'pending',
      attempts: 0,
      file_path: '/results/rerun.dcm',
    });
    expect(events(db, String(id))).toEqual(['delivery.enqueued', 'delivery.enqueued', 'delivery.attempt']);
    await service.processDue();
    expect(service.list({})[0]).toMatchObject({ state: 'delivered', attempts: 1 });
  });

  test('a row whose destination left the configuration is dead (replayable later)', async () => {
    const { db, service } = setup();
    const at = new Date().toISOString();
    db.prepare(
      `INSERT INTO deliveries (sop_instance_uid, sop_class_uid, study_instance_uid, series_instance_uid, file_path, destination, next_attempt_at, created_at, updated_at)
       VALUES ('2.25.5', '1.2', '2.25.6', '2.25.7', '/x.dcm', 'gone', 0, ?, ?)`,
    ).run(at, at);
    const [o] = await service.processDue();
    expect(o).toMatchObject({ destination: 'gone', status: 'failure', retryable: false });
    expect(service.list({ state: 'dead' })).toHaveLength(1);
  });

  test('unknown destination names are a ConfigError and enqueue nothing', () => {
    const { service } = setup();
    expect(() => service.enqueue([object(1)], ['pacs', 'nowhere'])).toThrow(ConfigError);
    expect(service.list({})).toHaveLength(0);
  });

  test('an unknown scheme in the configuration fails construction with the path', () => {
    const db = openDatabase(':memory:');
    const clock = new FakeClock();
    expect(
      () =>
        new DeliveryService({
          db,
          audit: new AuditLog(db, clock),
          clock,
          logger: silentLogger,
          callingAeTitle: 'X',
          destinations: { bad: destinationSchema.parse({ url: 'gopher://x' }) },
        }),
    ).toThrow(
      expect.objectContaining({
        details: [expect.stringMatching(/^destinations\.bad\.url: unknown URL scheme "gopher"/)],
      }),
    );
  });

  test('start(): the Clock timer sends rows when they fall due; crash-left in_flight rows resume', async () => {
    const { db, clock, service, answers } = setup();
    answers.push(busy);
    service.enqueue([object(1)], ['pacs']);
    db.prepare(`UPDATE deliveries SET state = 'in_flight'`).run();
    service.start();
    expect(service.list({})[0]!.state).toBe('pending');
    clock.advance(0); // the timer fires a round; stop() waits for it
    await service.stop();
    expect(service.list({})[0]).toMatchObject({ state: 'pending', attempts: 1 });
    service.start();
    clock.advance(5000);
    await service.stop();
    expect(service.list({})[0]).toMatchObject({ state: 'delivered', attempts: 2 });
  });

  test('jobDeliveryState over the rows of a job', async () => {
    const { db, service, answers } = setup(1);
    const at = new Date().toISOString();
    db.prepare(
      `INSERT INTO series (series_instance_uid, study_instance_uid, first_received_at, last_received_at) VALUES ('2.25.7', '2.25.8', ?, ?)`,
    ).run(at, at);
    db.prepare(
      `INSERT INTO jobs (id, series_instance_uid, state, created_at, updated_at) VALUES ('job-1', '2.25.7', 'delivering', ?, ?)`,
    ).run(at, at);
    expect(service.jobDeliveryState('job-1')).toBe('none');
    service.enqueue([object(1), object(2)], ['pacs'], 'job-1');
    expect(service.jobDeliveryState('job-1')).toBe('pending');
    answers.push(ok, refused);
    await service.processDue();
    expect(service.jobDeliveryState('job-1')).toBe('dead');
    service.replayAllDead();
    await service.processDue();
    expect(service.jobDeliveryState('job-1')).toBe('delivered');
  });
});
