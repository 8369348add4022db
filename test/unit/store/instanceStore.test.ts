import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { AuditLog } from '../../../src/audit';
import { openDatabase, type Db } from '../../../src/db/openDatabase';
import { SeriesRepository } from '../../../src/db/seriesRepository';
import { silentLogger, type Logger } from '../../../src/logging/logger';
import { FakeClock } from '../../../src/pipeline/clock';
import { DatasetInvalidError, LimitExceededError, OutOfResourcesError } from '../../../src/pipeline/errors';
import type { PeerInfo } from '../../../src/pipeline/types';
import { InstanceStore, type InstanceStoreOptions } from '../../../src/store';
import { tempDir } from '../../helpers/env';
import {
  CT_IMAGE_STORAGE,
  EXPLICIT_VR_LE,
  datasetOf,
  syntheticPart10,
  type SyntheticOptions,
} from './syntheticInstance';

/** SOP Instance, Series and Study Instance UIDs under one root, for an instance sent twice. */
const uidsOf = (n: number) => ({
  sopInstanceUid: `1.2.826.0.1.${n}.1`,
  seriesInstanceUid: `1.2.826.0.1.${n}.2`,
  studyInstanceUid: `1.2.826.0.1.${n}.3`,
});

const peer: PeerInfo = {
  callingAeTitle: 'MODALITY',
  calledAeTitle: 'PACSAI',
  peerAddress: '127.0.0.1',
  associationId: 'assoc-1',
};

describe('InstanceStore', () => {
  let dataDir: string;
  let db: Db;
  let clock: FakeClock;
  let store: InstanceStore;

  function makeStore(o: Partial<InstanceStoreOptions> = {}): InstanceStore {
    return new InstanceStore({
      dataDir,
      db,
      audit: new AuditLog(db, clock),
      clock,
      logger: silentLogger,
      minFreeMb: 0,
      maxMessageBytes: 64 * 1024 * 1024,
      ...o,
    });
  }

  /** Sends one synthetic instance down the DIMSE path, in small chunks like PDVs. */
  async function sendDimse(s: InstanceStore, o: SyntheticOptions = {}, tamper?: (ds: Buffer) => Buffer) {
    const { bytes, dataset } = syntheticPart10(o);
    let ds = datasetOf(bytes);
    if (tamper) ds = tamper(ds);
    const w = s.storeStream({
      sopClassUid: CT_IMAGE_STORAGE,
      sopInstanceUid: String(dataset.SOPInstanceUID),
      transferSyntaxUid: EXPLICIT_VR_LE,
      peer,
      source: 'dimse',
    });
    for (let i = 0; i < ds.length; i += 1000) w.stream.write(ds.subarray(i, i + 1000));
    w.stream.end();
    return { result: await w.result, dataset, sent: ds };
  }

  const tmpFiles = () => fs.readdirSync(path.join(dataDir, 'tmp'));
  const auditOf = (event: string) =>
    db.prepare('SELECT * FROM audit_events WHERE event = ?').all(event) as Array<{
      subject: string;
      detail: string;
      correlation_id: string;
    }>;

  beforeEach(() => {
    dataDir = tempDir('pacs-ai-node-store-');
    db = openDatabase(path.join(dataDir, 'db.sqlite'));
    clock = new FakeClock();
    store = makeStore();
  });
  afterEach(async () => {
    await store.close();
    db.close();
  });

  test('a C-STORE data set becomes a Part 10 file under a node-made name, indexed and audited', async () => {
    const { result, dataset, sent } = await sendDimse(store, { imagesInAcquisition: 3, instanceNumber: 7 });
    expect(result).toMatchObject({
      sopInstanceUid: dataset.SOPInstanceUID,
      seriesInstanceUid: dataset.SeriesInstanceUID,
      studyInstanceUid: dataset.StudyInstanceUID,
      sopClassUid: CT_IMAGE_STORAGE,
      transferSyntaxUid: EXPLICIT_VR_LE,
      modality: 'CT',
      instanceNumber: 7,
      expectedCount: 3,
      numberOfFrames: 1,
      source: 'dimse',
      duplicate: false,
      lateArrival: false,
      receivedAt: clock.now(),
    });
    expect(path.relative(dataDir, result.filePath)).toMatch(/^instances\/[0-9a-f]{2}\/[0-9a-f-]{36}\.dcm$/);
    const file = fs.readFileSync(result.filePath);
    expect(file.length).toBe(result.sizeBytes);
    expect(datasetOf(file).equals(sent)).toBe(true);
    expect(tmpFiles()).toEqual([]);
    const series = new SeriesRepository(db).get(String(dataset.SeriesInstanceUID))!;
    expect(series).toMatchObject({
      state: 'receiving',
      instance_count: 1,
      expected_count: 3,
      modality: 'CT',
      calling_ae_title: 'MODALITY',
    });
    const audit = auditOf('instance.stored');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ subject: dataset.SOPInstanceUID, correlation_id: 'assoc-1' });
    expect(audit[0]!.detail).not.toContain('Synthetic'); // no patient name in the audit trail
  });

  test('a re-sent instance keeps the first copy and is a success', async () => {
    const first = await sendDimse(store, {});
    const again = await sendDimse(store, {
      sopInstanceUid: String(first.dataset.SOPInstanceUID),
      seriesInstanceUid: String(first.dataset.SeriesInstanceUID),
      studyInstanceUid: String(first.dataset.StudyInstanceUID),
    });
    expect(again.result.duplicate).toBe(true);
    expect(again.result.filePath).toBe(first.result.filePath);
    expect(new SeriesRepository(db).counts().instances).toBe(1);
    expect(auditOf('instance.duplicate')).toHaveLength(1);
    expect(tmpFiles()).toEqual([]);
    expect(fs.readdirSync(path.dirname(first.result.filePath))).toHaveLength(1);
  });

  test('the same instance on two associations at once is kept once; one answer says duplicate', async () => {
    const uids = uidsOf(99);
    const [a, b] = await Promise.all([sendDimse(store, uids), sendDimse(store, uids)]);
    expect([a.result.duplicate, b.result.duplicate].sort()).toEqual([false, true]);
    expect(a.result.filePath).toBe(b.result.filePath);
    expect(new SeriesRepository(db).get(uids.seriesInstanceUid)?.instance_count).toBe(1);
    const files = fs
      .readdirSync(path.join(dataDir, 'instances'))
      .flatMap((d) => fs.readdirSync(path.join(dataDir, 'instances', d)));
    expect(files).toHaveLength(1);
    expect(tmpFiles()).toEqual([]);
  });

  test('an instance for a completed series is a late arrival', async () => {
    const first = await sendDimse(store, {});
    const seriesUid = String(first.dataset.SeriesInstanceUID);
    new SeriesRepository(db).markComplete(seriesUid, 'quiet-period', new Date(clock.now()).toISOString());
    const late = await sendDimse(store, {
      seriesInstanceUid: seriesUid,
      studyInstanceUid: String(first.dataset.StudyInstanceUID),
    });
    expect(late.result.lateArrival).toBe(true);
    expect(new SeriesRepository(db).get(seriesUid)).toMatchObject({
      state: 'complete',
      late_arrivals: 1,
      instance_count: 2,
    });
    expect(new SeriesRepository(db).instance(late.result.sopInstanceUid)?.late_arrival).toBe(1);
  });

  test('a data set whose SOP Instance UID differs from the command is refused, nothing kept', async () => {
    const { bytes } = syntheticPart10();
    const w = store.storeStream({
      sopClassUid: CT_IMAGE_STORAGE,
      sopInstanceUid: '1.2.3.4.5',
      transferSyntaxUid: EXPLICIT_VR_LE,
      peer,
      source: 'dimse',
    });
    w.stream.end(datasetOf(bytes));
    await expect(w.result).rejects.toBeInstanceOf(DatasetInvalidError);
    expect(tmpFiles()).toEqual([]);
    expect(new SeriesRepository(db).counts().instances).toBe(0);
  });

  test('a truncated data set is refused (structure check)', async () => {
    await expect(sendDimse(store, {}, (ds) => ds.subarray(0, ds.length - 100))).rejects.toBeInstanceOf(
      DatasetInvalidError,
    );
    expect(tmpFiles()).toEqual([]);
  });

  test('free disk below storage.minFreeMb is OutOfResourcesError; the stream still drains', async () => {
    const full = makeStore({ minFreeMb: Number.MAX_SAFE_INTEGER });
    await expect(sendDimse(full, {})).rejects.toBeInstanceOf(OutOfResourcesError);
    expect(tmpFiles()).toEqual([]);
  });

  test('more than maxMessageBytes: LimitExceededError, callback told, temp removed', async () => {
    const small = makeStore({ maxMessageBytes: 500 });
    const { bytes, dataset } = syntheticPart10();
    const told: Error[] = [];
    const w = small.storeStream({
      sopClassUid: CT_IMAGE_STORAGE,
      sopInstanceUid: String(dataset.SOPInstanceUID),
      transferSyntaxUid: EXPLICIT_VR_LE,
      peer,
      source: 'dimse',
      onLimitExceeded: (e) => told.push(e),
    });
    w.stream.end(datasetOf(bytes));
    await expect(w.result).rejects.toBeInstanceOf(LimitExceededError);
    expect(told).toHaveLength(1);
    expect(tmpFiles()).toEqual([]);
  });

  test('cancel (association aborted) removes the temp file', async () => {
    const { bytes, dataset } = syntheticPart10();
    const w = store.storeStream({
      sopClassUid: CT_IMAGE_STORAGE,
      sopInstanceUid: String(dataset.SOPInstanceUID),
      transferSyntaxUid: EXPLICIT_VR_LE,
      peer,
      source: 'dimse',
    });
    await new Promise<void>((resolve) => w.stream.write(datasetOf(bytes).subarray(0, 100), () => resolve()));
    expect(tmpFiles()).toHaveLength(1);
    w.cancel();
    await expect(w.result).rejects.toBeInstanceOf(OutOfResourcesError);
    expect(tmpFiles()).toEqual([]);
  });

  describe('the temp file is created and closed on the event loop', () => {
    afterEach(() => jest.restoreAllMocks());

    test('created when the C-STORE begins, closed synchronously once filed; tmp/ is empty afterwards', async () => {
      const onPool = jest.spyOn(fs.promises, 'open');
      const created = jest.spyOn(fs, 'openSync');
      const closed = jest.spyOn(fs, 'closeSync');
      const { result, sent } = await sendDimse(store, {});
      expect(onPool).not.toHaveBeenCalled();
      const temp = created.mock.calls.filter(([p]) => String(p).startsWith(path.join(dataDir, 'tmp')));
      expect(temp).toHaveLength(1);
      expect(temp[0]!.slice(1)).toEqual(['wx', 0o640]);
      const fd = created.mock.results[created.mock.calls.indexOf(temp[0]!)]!.value as number;
      expect(closed.mock.calls.some(([c]) => c === fd)).toBe(true);
      expect(fs.readFileSync(result.filePath).subarray(-sent.length).equals(sent)).toBe(true);
      expect(tmpFiles()).toEqual([]);
    });

    test('refused for free disk below the watermark: no temp file is made or left', async () => {
      const full = makeStore({ minFreeMb: Number.MAX_SAFE_INTEGER });
      await expect(sendDimse(full, {})).rejects.toBeInstanceOf(OutOfResourcesError);
      expect(tmpFiles()).toEqual([]);
    });

    test('a temp file that cannot be created fails that one write, clearly; the next is stored', async () => {
      const realOpenSync = fs.openSync.bind(fs);
      let failed = false;
      jest.spyOn(fs, 'openSync').mockImplementation(((p: fs.PathLike, ...rest: unknown[]) => {
        if (!failed && String(p).startsWith(path.join(dataDir, 'tmp'))) {
          failed = true;
          throw Object.assign(new Error('EACCES: permission denied, open'), { code: 'EACCES' });
        }
        return (realOpenSync as (...a: unknown[]) => number)(p, ...rest);
      }) as typeof fs.openSync);
      await expect(sendDimse(store, {})).rejects.toThrow(/could not be written \(EACCES\)/);
      const next = await sendDimse(store, {});
      expect(fs.existsSync(next.result.filePath)).toBe(true);
      expect(tmpFiles()).toEqual([]);
    });
  });

  test('the 256 instances/<2 hex> folders exist from the start; close() then another write', async () => {
    const folders = fs.readdirSync(path.join(dataDir, 'instances'));
    expect(folders).toHaveLength(256);
    expect(folders).toContain('00');
    expect(folders).toContain('ff');
    const first = await sendDimse(store, {});
    await store.close();
    const second = await sendDimse(store, {});
    expect(fs.existsSync(first.result.filePath)).toBe(true);
    expect(fs.existsSync(second.result.filePath)).toBe(true);
    expect(tmpFiles()).toEqual([]);
  });

  test('a folder removed while the node runs is made again', async () => {
    await store.close();
    fs.rmSync(path.join(dataDir, 'instances'), { recursive: true, force: true });
    const again = await sendDimse(store, {});
    expect(fs.readFileSync(again.result.filePath).length).toBe(again.result.sizeBytes);
  });

  test('leftover temp files are removed at start and audited', async () => {
    fs.writeFileSync(path.join(dataDir, 'tmp', 'left.part'), 'x');
    expect(await store.removeLeftoverTempFiles()).toBe(1);
    expect(tmpFiles()).toEqual([]);
    expect(auditOf('store.temp_removed')).toHaveLength(1);
  });

  test('instance files that no row names (crash between rename and commit) are removed', async () => {
    const kept = await sendDimse(store, {});
    fs.mkdirSync(path.join(dataDir, 'instances', 'ab'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'instances', 'ab', 'orphan.dcm'), 'x');
    expect((await store.recoverOrphanFiles()).removed).toBe(1);
    expect(fs.existsSync(path.join(dataDir, 'instances', 'ab', 'orphan.dcm'))).toBe(false);
    expect(fs.existsSync(kept.result.filePath)).toBe(true);
    expect(auditOf('store.orphans_removed')).toHaveLength(1);
  });

  test('the index commit leaves the connection at synchronous = FULL for the other stages', async () => {
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    await sendDimse(store, {});
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
  });

  test('start-up indexes again a recent valid file whose row was lost (power loss after the answer)', async () => {
    const { result, dataset } = await sendDimse(store, {});
    const relative = path.relative(dataDir, result.filePath).split(path.sep).join('/');
    db.prepare('DELETE FROM instances WHERE sop_instance_uid = ?').run(dataset.SOPInstanceUID);
    // A copy of an instance that is indexed (under another name) is removed, not indexed twice.
    const { result: other } = await sendDimse(store, {});
    const copy = path.join(path.dirname(other.filePath), 'copy-of-other.dcm');
    fs.copyFileSync(other.filePath, copy);
    expect(await store.recoverOrphanFiles()).toEqual({ reindexed: 1, removed: 1 });
    const row = new SeriesRepository(db).instance(String(dataset.SOPInstanceUID));
    expect(row).toMatchObject({
      file_path: relative,
      calling_ae_title: peer.callingAeTitle,
      source: 'dimse',
    });
    expect(fs.existsSync(result.filePath)).toBe(true);
    expect(fs.existsSync(copy)).toBe(false);
    const stored = auditOf('instance.stored').filter((r) => r.subject === dataset.SOPInstanceUID);
    expect(stored.map((r) => (JSON.parse(r.detail) as { recovered?: boolean }).recovered)).toEqual([
      undefined,
      true,
    ]);
    expect(auditOf('store.orphans_reindexed')).toHaveLength(1);
  });

  test('start-up removes an orphan written well before the newest audit row (e.g. a purge cut short)', async () => {
    const { result, dataset } = await sendDimse(store, {});
    db.prepare('DELETE FROM instances WHERE sop_instance_uid = ?').run(dataset.SOPInstanceUID);
    const newest = db.prepare('SELECT MAX(at) AS at FROM audit_events').get() as { at: string };
    const old = new Date(Date.parse(newest.at) - 2 * 60 * 60 * 1000);
    fs.utimesSync(result.filePath, old, old);
    expect(await store.recoverOrphanFiles()).toEqual({ reindexed: 0, removed: 1 });
    expect(fs.existsSync(result.filePath)).toBe(false);
    expect(new SeriesRepository(db).instance(String(dataset.SOPInstanceUID))).toBeUndefined();
  });

  test('STOW-RS path: a complete Part 10 stream is stored as it came', async () => {
    const { bytes, dataset } = syntheticPart10({});
    const r = await store.storePart10Stream(
      Readable.from([bytes.subarray(0, 300), bytes.subarray(300)]),
      { ...peer, callingAeTitle: 'STOW-RS' },
      'stow',
    );
    expect(r).toMatchObject({ sopInstanceUid: dataset.SOPInstanceUID, source: 'stow', duplicate: false });
    expect(fs.readFileSync(r.filePath).equals(bytes)).toBe(true);
    await expect(
      store.storePart10Stream(Readable.from([bytes.subarray(0, 200)]), peer, 'stow'),
    ).rejects.toBeInstanceOf(DatasetInvalidError);
    expect(tmpFiles()).toEqual([]);
  });

  test('temp-file writes run on the event loop; a stalled one is logged and the next go to the thread pool', async () => {
    let t = 0;
    const warnings: Array<{ event: string; fields?: Record<string, unknown> }> = [];
    const logger: Logger = {
      ...silentLogger,
      warn: (event, fields) => void warnings.push({ event, fields }),
      child: () => logger,
    };
    const s = makeStore({ logger, syncWrites: { now: () => t, stallMs: 20, cooldownMs: 5_000 } });
    const realWritevSync = fs.writevSync.bind(fs);
    let syncWrites = 0;
    const onLoop = jest.spyOn(fs, 'writevSync').mockImplementation(((fd: number, b: Buffer[]) => {
      if (++syncWrites === 1) t += 40; // the disk pushes back once
      return realWritevSync(fd, b);
    }) as typeof fs.writevSync);
    const onPool = jest.spyOn(fs, 'writev');
    try {
      const first = await sendDimse(s, { sopInstanceUid: '1.2.826.0.1.77.1', rows: 256, columns: 256 });
      expect(onLoop).toHaveBeenCalled();
      expect(warnings).toEqual([
        { event: 'store.write.stalled', fields: { writeMs: 40, threadPoolSeconds: 5 } },
      ]);
      expect(onPool).not.toHaveBeenCalled();
      const second = await sendDimse(s, { sopInstanceUid: '1.2.826.0.1.77.2', rows: 256, columns: 256 });
      expect(syncWrites).toBe(1);
      expect(onPool).toHaveBeenCalled();
      for (const r of [first, second]) {
        expect(fs.readFileSync(r.result.filePath).subarray(-r.sent.length).equals(r.sent)).toBe(true);
      }
    } finally {
      jest.restoreAllMocks();
    }
  });

  test('openFolders opens the 256 instance folders ahead; close closes them', async () => {
    const openFds = () => fs.readdirSync('/proc/self/fd').length;
    const s = makeStore();
    const before = openFds();
    await s.openFolders();
    expect(openFds() - before).toBe(256);
    await sendDimse(s); // its folder is among them: no new descriptor kept
    expect(openFds() - before).toBe(256);
    await s.close();
    expect(openFds()).toBe(before);
  });

  test('syncWrites: false keeps every temp-file write on the thread pool', async () => {
    const onLoop = jest.spyOn(fs, 'writevSync');
    try {
      const r = await sendDimse(makeStore({ syncWrites: false }));
      expect(onLoop).not.toHaveBeenCalled();
      expect(fs.readFileSync(r.result.filePath).subarray(-r.sent.length)).toEqual(r.sent);
    } finally {
      jest.restoreAllMocks();
    }
  });

  describe('early write-back (storage.writeBackKb)', () => {
    afterEach(() => jest.restoreAllMocks());
    const large = { rows: 512, columns: 512 }; // 512 KiB of pixel data

    test('an instance larger than writeBackBytes is written back while it arrives (default 256 KiB)', async () => {
      const datasync = jest.spyOn(fs, 'fdatasync');
      const r = await sendDimse(store, large);
      expect(datasync).toHaveBeenCalledTimes(1); // one in flight at a time; the chunks came in one go
      expect(fs.readFileSync(r.result.filePath).subarray(-r.sent.length).equals(r.sent)).toBe(true);
      await sendDimse(store); // 16x16: below the threshold
      expect(datasync).toHaveBeenCalledTimes(1);
    });

    test('writeBackBytes: 0 turns it off', async () => {
      const datasync = jest.spyOn(fs, 'fdatasync');
      await sendDimse(makeStore({ writeBackBytes: 0 }), large);
      expect(datasync).not.toHaveBeenCalled();
    });

    test('a failed write-back fails the instance: out of resources, row withdrawn, no file', async () => {
      const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', errno: -5 });
      jest.spyOn(fs, 'fdatasync').mockImplementationOnce(((_fd: number, cb: (e: Error | null) => void) => {
        setImmediate(() => cb(eio));
      }) as unknown as typeof fs.fdatasync);
      await expect(sendDimse(store, large)).rejects.toThrow(OutOfResourcesError);
      expect(db.prepare('SELECT COUNT(*) AS n FROM instances').get()).toEqual({ n: 0 });
      expect(auditOf('instance.withdrawn')).toHaveLength(1);
      const files = fs
        .readdirSync(path.join(dataDir, 'instances'))
        .flatMap((d) => fs.readdirSync(path.join(dataDir, 'instances', d)));
      expect(files).toEqual([]);
      expect(tmpFiles()).toEqual([]);
    });
  });

  describe('the index transaction runs while the fsyncs are in flight', () => {
    afterEach(() => jest.restoreAllMocks());

    /**
     * Holds the next fsync of an instance file (`fs.fsync`, which the temp file's OpenFile calls;
     * the folder's fsync is bound at load and not caught) until `release` is called with nothing
     * (success) or an error.
     */
    function holdNextSync(): { started: Promise<void>; release: (e?: Error) => void } {
      const original = fs.fsync.bind(fs);
      let release!: (e?: Error) => void;
      let started!: () => void;
      const startedP = new Promise<void>((r) => (started = r));
      jest.spyOn(fs, 'fsync').mockImplementationOnce(((
        fd: number,
        cb: (e: NodeJS.ErrnoException | null) => void,
      ) => {
        started();
        release = (e) => (e ? cb(e) : original(fd, cb));
      }) as typeof fs.fsync);
      return { started: startedP, release: (e) => release(e) };
    }
    const eio = () => Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO', errno: -5 });
    const instanceFiles = () =>
      fs
        .readdirSync(path.join(dataDir, 'instances'))
        .flatMap((d) => fs.readdirSync(path.join(dataDir, 'instances', d)));

    test('the row is committed before the fsync returns, and the answer waits for both', async () => {
      const hold = holdNextSync();
      let answered = false;
      const sending = sendDimse(store, {}).then((r) => ((answered = true), r));
      await hold.started;
      await new Promise((r) => setTimeout(r, 20));
      expect(answered).toBe(false);
      expect(new SeriesRepository(db).counts().instances).toBe(1);
      hold.release();
      const { result } = await sending;
      expect(result.duplicate).toBe(false);
      expect(fs.existsSync(result.filePath)).toBe(true);
    });

    test('an fsync that fails withdraws the row: failure answered, file and new series row gone, audited', async () => {
      const hold = holdNextSync();
      const sending = sendDimse(store, { seriesInstanceUid: '1.2.826.0.1.77.2' });
      await hold.started;
      hold.release(eio());
      await expect(sending).rejects.toThrow(OutOfResourcesError);
      await expect(sending).rejects.toThrow(/EIO/);
      expect(new SeriesRepository(db).counts().instances).toBe(0);
      expect(new SeriesRepository(db).get('1.2.826.0.1.77.2')).toBeUndefined();
      expect(instanceFiles()).toEqual([]);
      expect(tmpFiles()).toEqual([]);
      const [stored] = auditOf('instance.stored');
      const [withdrawn] = auditOf('instance.withdrawn');
      expect(withdrawn).toMatchObject({ subject: stored!.subject, correlation_id: 'assoc-1' });
      expect(JSON.parse(withdrawn!.detail).reason).toMatch(/could not be made durable.*EIO/);
    });

    test('an fsync failure in a series that has other instances only uncounts the one instance', async () => {
      const first = await sendDimse(store, {});
      const series = String(first.dataset.SeriesInstanceUID);
      const hold = holdNextSync();
      const sending = sendDimse(store, {
        seriesInstanceUid: series,
        studyInstanceUid: String(first.dataset.StudyInstanceUID),
      });
      await hold.started;
      hold.release(eio());
      await expect(sending).rejects.toThrow(OutOfResourcesError);
      expect(new SeriesRepository(db).get(series)).toMatchObject({ instance_count: 1 });
      expect(instanceFiles()).toEqual([path.basename(first.result.filePath)]);
    });

    test('a re-send while the first copy is being filed waits; it is filed itself when the first fsync fails', async () => {
      const uids = uidsOf(88);
      const hold = holdNextSync();
      const first = sendDimse(store, uids);
      await hold.started;
      let secondDone = false;
      const second = sendDimse(store, uids).then((r) => ((secondDone = true), r));
      await new Promise((r) => setTimeout(r, 50));
      expect(secondDone).toBe(false); // not answered "duplicate" while the first is not durable
      hold.release(eio());
      await expect(first).rejects.toThrow(OutOfResourcesError);
      const { result } = await second;
      expect(result.duplicate).toBe(false);
      expect(fs.existsSync(result.filePath)).toBe(true);
      expect(new SeriesRepository(db).instance(uids.sopInstanceUid)?.file_path).toBe(
        path.relative(dataDir, result.filePath).split(path.sep).join('/'),
      );
      expect(new SeriesRepository(db).get(uids.seriesInstanceUid)?.instance_count).toBe(1);
      expect(instanceFiles()).toHaveLength(1);
    });

    test('a re-send while the first copy is being filed is a duplicate once the first is durable', async () => {
      const uids = uidsOf(89);
      const hold = holdNextSync();
      const first = sendDimse(store, uids);
      await hold.started;
      const second = sendDimse(store, uids);
      await new Promise((r) => setTimeout(r, 20));
      hold.release();
      const [a, b] = await Promise.all([first, second]);
      expect(a.result.duplicate).toBe(false);
      expect(b.result.duplicate).toBe(true);
      expect(b.result.filePath).toBe(a.result.filePath);
      expect(instanceFiles()).toHaveLength(1);
    });

    test('a re-send of an instance whose file is gone replaces the row instead of answering duplicate', async () => {
      const first = await sendDimse(store, {});
      fs.rmSync(first.result.filePath);
      const again = await sendDimse(store, {
        sopInstanceUid: String(first.dataset.SOPInstanceUID),
        seriesInstanceUid: String(first.dataset.SeriesInstanceUID),
        studyInstanceUid: String(first.dataset.StudyInstanceUID),
      });
      expect(again.result.duplicate).toBe(false);
      expect(again.result.filePath).not.toBe(first.result.filePath);
      expect(fs.existsSync(again.result.filePath)).toBe(true);
      expect(new SeriesRepository(db).get(String(first.dataset.SeriesInstanceUID))?.instance_count).toBe(1);
      expect(JSON.parse(auditOf('instance.withdrawn')[0]!.detail).reason).toMatch(/missing or not the size/);
    });

    test('start-up withdraws the newest rows whose file is missing or short (power loss while filing)', async () => {
      const a = await sendDimse(store, {});
      const series = String(a.dataset.SeriesInstanceUID);
      const study = String(a.dataset.StudyInstanceUID);
      const b = await sendDimse(store, { seriesInstanceUid: series, studyInstanceUid: study });
      const c = await sendDimse(store, { seriesInstanceUid: series, studyInstanceUid: study });
      fs.rmSync(b.result.filePath);
      fs.truncateSync(c.result.filePath, 1000);
      expect(await store.withdrawUnfiledRows()).toBe(2);
      const repo = new SeriesRepository(db);
      expect(repo.instance(String(a.dataset.SOPInstanceUID))).toBeDefined();
      expect(repo.instance(String(b.dataset.SOPInstanceUID))).toBeUndefined();
      expect(repo.instance(String(c.dataset.SOPInstanceUID))).toBeUndefined();
      expect(repo.get(series)?.instance_count).toBe(1);
      expect(fs.existsSync(c.result.filePath)).toBe(false);
      expect(
        auditOf('instance.withdrawn')
          .map((r) => r.subject)
          .sort(),
      ).toEqual([String(b.dataset.SOPInstanceUID), String(c.dataset.SOPInstanceUID)].sort());
      // Only the newest rows are looked at.
      fs.rmSync(a.result.filePath);
      const d = await sendDimse(store, { seriesInstanceUid: series, studyInstanceUid: study });
      expect(await store.withdrawUnfiledRows(1)).toBe(0);
      expect(repo.instance(String(d.dataset.SOPInstanceUID))).toBeDefined();
      expect(await store.withdrawUnfiledRows(2)).toBe(1);
    });
  });
});
