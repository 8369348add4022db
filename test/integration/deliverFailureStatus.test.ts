import fs from 'node:fs';
import path from 'node:path';
import dimse from 'dcmjs-dimse';
import { storeFiles } from '../../src/dicom/dimse';
import { openDatabase } from '../../src/db/openDatabase';
import { tempDir } from '../helpers/env';
import { freePort } from '../helpers/ports';
import { asEncodedObject, writeSyntheticInstance } from '../unit/deliver/syntheticDicom';
import { testDeliveryService } from './testDeliveryService';

jest.setTimeout(60000);

const { Server, Scp } = dimse;
const { CStoreResponse } = dimse.responses;
const { PresentationContextResult, RejectResult, RejectSource, RejectReason } = dimse.constants;

/** What the fake SCP does; the test changes it between attempts. */
interface Behaviour {
  reject: boolean;
  status: number;
  comment: string;
  received: string[];
}

/** A real DICOM peer (dcmjs-dimse Server) answering C-STORE with a chosen status (PS3.7 C.4.2.1.5). */
async function startFakeScp(behaviour: Behaviour): Promise<{ port: number; close: () => void }> {
  class FakeScp extends Scp {
    override associationRequested(association: InstanceType<typeof dimse.association.Association>): void {
      if (behaviour.reject) {
        this.sendAssociationReject(
          RejectResult.Permanent,
          RejectSource.ServiceUser,
          RejectReason.CalledAeNotRecognized,
        );
        return;
      }
      for (const c of association.getPresentationContexts()) {
        const ctx = association.getPresentationContext(c.id);
        ctx.setResult(PresentationContextResult.Accept, ctx.getTransferSyntaxUids()[0]!);
      }
      this.sendAssociationAccept();
    }
    override cStoreRequest(
      request: InstanceType<typeof dimse.requests.CStoreRequest>,
      callback: (r: InstanceType<typeof CStoreResponse>) => void,
    ): void {
      behaviour.received.push(request.getAffectedSopInstanceUid());
      const response = CStoreResponse.fromRequest(request);
      response.setStatus(behaviour.status);
      if (behaviour.comment) response.setErrorComment(behaviour.comment);
      callback(response);
    }
    override associationReleaseRequested(): void {
      this.sendAssociationReleaseResponse();
    }
  }
  const port = await freePort();
  const server = new Server(FakeScp);
  server.on('networkError', () => undefined);
  server.listen(port);
  return { port, close: () => server.close() };
}

describe('C-STORE statuses from a real protocol peer', () => {
  const behaviour: Behaviour = { reject: false, status: 0, comment: '', received: [] };
  let scp: { port: number; close: () => void };
  beforeAll(async () => {
    scp = await startFakeScp(behaviour);
  });
  afterAll(() => scp.close());
  beforeEach(() => Object.assign(behaviour, { reject: false, status: 0, comment: '', received: [] }));

  test.each(
    (
      [
        [0x0000, 'success', false],
        [0xb000, 'warning', false],
        [0xb007, 'warning', false],
        [0xa700, 'failure', true],
        [0xa900, 'failure', false],
        [0xc000, 'failure', false],
        [0x0122, 'failure', false],
      ] as const
    ).map(([status, statusClass, retryable]) => ({
      hex: status.toString(16).toUpperCase().padStart(4, '0'),
      status,
      statusClass,
      retryable,
    })),
  )('storeFiles records status $hex truthfully', async ({ status, statusClass, retryable }) => {
    behaviour.status = status;
    behaviour.comment = status ? 'peer says so' : '';
    const f = writeSyntheticInstance(tempDir());
    const [r] = await storeFiles([f.file], {
      host: '127.0.0.1',
      port: scp.port,
      calledAeTitle: 'FAKE',
      callingAeTitle: 'PACSAI',
      timeoutMs: 10000,
    });
    expect(r).toMatchObject({ sopInstanceUid: f.sopInstanceUid, status, statusClass, retryable });
    if (status) expect(r!.message).toContain('peer says so');
    expect(behaviour.received).toEqual([f.sopInstanceUid]);
  });

  test('association rejected (permanent): every file a non-retryable failure without a DIMSE status', async () => {
    behaviour.reject = true;
    const dir = tempDir();
    const files = [writeSyntheticInstance(dir).file, writeSyntheticInstance(dir).file];
    const results = await storeFiles(files, {
      host: '127.0.0.1',
      port: scp.port,
      calledAeTitle: 'FAKE',
      callingAeTitle: 'PACSAI',
      timeoutMs: 10000,
    });
    expect(results.map((r) => [r.statusClass, r.status, r.retryable])).toEqual([
      ['failure', -1, false],
      ['failure', -1, false],
    ]);
    expect(results[0]!.message).toMatch(/association rejected \(permanent/);
  });

  test('0xA900 → dead letter at once; after the peer is fixed, replay delivers it', async () => {
    const { svc, db } = testDeliveryService(
      { pacs: { url: `dimse://FAKE@127.0.0.1:${scp.port}`, maxAttempts: 5 } },
      { db: openDatabase(path.join(tempDir(), 'node.sqlite')), random: () => 0 },
    );
    behaviour.status = 0xa900;
    const obj = asEncodedObject(writeSyntheticInstance(tempDir()));
    const [id] = svc.enqueue([obj], ['pacs']);
    const [first] = await svc.processDue();
    expect(first).toMatchObject({ status: 'failure', statusCode: 0xa900, retryable: false });
    expect(svc.list({})[0]).toMatchObject({
      state: 'dead',
      attempts: 1,
      last_status: 0xa900,
      last_status_class: 'failure',
    });
    const events = (
      db.prepare('SELECT event FROM audit_events ORDER BY seq').all() as Array<{ event: string }>
    ).map((r) => r.event);
    expect(events).toEqual(['delivery.enqueued', 'delivery.attempt', 'delivery.failed', 'delivery.dead']);

    behaviour.status = 0x0000;
    svc.replay(id!, 'cli');
    const [second] = await svc.processDue();
    expect(second).toMatchObject({ status: 'success', statusCode: 0 });
    expect(svc.list({})[0]).toMatchObject({ state: 'delivered', attempts: 1 });
    expect(behaviour.received).toEqual([obj.sopInstanceUid, obj.sopInstanceUid]);
    db.close();
  });

  test('0xA700 (out of resources) is retried with backoff, then delivered', async () => {
    const { svc, clock } = testDeliveryService(
      { pacs: { url: `dimse://FAKE@127.0.0.1:${scp.port}`, initialBackoffSeconds: 4 } },
      { random: () => 1 },
    );
    behaviour.status = 0xa700;
    svc.enqueue([asEncodedObject(writeSyntheticInstance(tempDir()))], ['pacs']);
    await svc.processDue();
    expect(svc.list({})[0]).toMatchObject({ state: 'pending', attempts: 1, last_status: 0xa700 });
    behaviour.status = 0;
    clock.advance(3999);
    expect(await svc.processDue()).toEqual([]);
    clock.advance(1);
    expect((await svc.processDue())[0]).toMatchObject({ status: 'success' });
  });
});

describe('folder destination (file:///dir)', () => {
  test('writes <dir>/<Study>/<Series>/<SOP>.dcm; a re-delivery replaces the file; bad UIDs are refused', async () => {
    const out = tempDir();
    const { svc } = testDeliveryService({ folder: { url: `file://${out}` } });
    const obj = asEncodedObject(writeSyntheticInstance(tempDir()));
    svc.enqueue([obj], ['folder']);
    expect((await svc.processDue())[0]).toMatchObject({ status: 'success' });
    const target = path.join(out, obj.studyInstanceUid, obj.seriesInstanceUid, `${obj.sopInstanceUid}.dcm`);
    expect(fs.readFileSync(target).equals(fs.readFileSync(obj.filePath))).toBe(true);
    svc.enqueue([obj], ['folder']);
    await svc.processDue();
    expect(fs.readdirSync(path.dirname(target))).toEqual([`${obj.sopInstanceUid}.dcm`]);

    svc.enqueue([{ ...obj, sopInstanceUid: '../../etc/passwd' }], ['folder']);
    const [bad] = await svc.processDue();
    expect(bad).toMatchObject({ status: 'failure', retryable: false });
    expect(svc.list({ state: 'dead' })).toHaveLength(1);
  });
});
