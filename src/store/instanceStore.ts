import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Db } from '../db/openDatabase';
import type { InstanceRow } from '../db/seriesRepository';
import { readDicomHeader, type DicomHeader } from '../dicom/readDicomHeader';
import type { Logger } from '../logging/logger';
import type { AuditSink } from '../pipeline/audit';
import type { Clock } from '../pipeline/clock';
import { NodeError, OutOfResourcesError, type LimitExceededError } from '../pipeline/errors';
import type { InstanceSource, PeerInfo, ReceivedInstance } from '../pipeline/types';
import { scanPart10, type KnownHead, type Part10Scan } from './checkDatasetStructure';
import { buildFileMetaInformation } from './fileMetaInformation';
import { FreeSpaceGuard } from './freeSpace';
import { InstanceFileWriter, type InstanceFileWriterOptions } from './instanceFileWriter';
import { InstanceIndex, type IndexResult } from './instanceIndex';
import { SyncWritePolicy, type SyncWritePolicyOptions } from './syncWritePolicy';
import {
  INSTANCES_DIR,
  INSTANCE_FOLDERS,
  TEMP_DIR,
  newInstanceRelativePath,
  newTempPath,
} from './instancePaths';
import { validateHeader, type HeaderExpectation, type InstanceFacts } from './validateHeader';

/** What start-up does with an instance file no row names. */
type OrphanOutcome = 'reindexed' | 'remove' | 'keep';

/** Everything the store needs, injected. */
export interface InstanceStoreOptions {
  dataDir: string;
  db: Db;
  audit: AuditSink;
  clock: Clock;
  logger: Logger;
  /**
   * How long before the newest audit row an orphan file may have been written and still be
   * indexed again at start (recoverOrphanFiles). Default one hour: far beyond the time from an
   * instance's last byte to its index commit, far below storage.retentionDays.
   */
  recoveryWindowMs?: number;
  /** storage.minFreeMb: below it, writes are refused with OutOfResourcesError (0xA700). */
  minFreeMb: number;
  /** dimse.maxMessageBytes: largest dataset one C-STORE may carry. */
  maxMessageBytes: number;
  /**
   * Where temp-file writes run (SyncWritePolicy): by default on the event loop until a write
   * stalls; `false` keeps them all on the thread pool.
   */
  syncWrites?: Omit<SyncWritePolicyOptions, 'onStall'> | false;
  /**
   * Early write-back (InstanceFileWriter): an fdatasync of each temp file starts on the thread
   * pool after every this many bytes while the data still arrives. Default DEFAULT_WRITE_BACK_BYTES;
   * 0 turns it off (the whole file is then written out by the fsync before the answer).
   */
  writeBackBytes?: number;
}

/**
 * 256 KiB (storage.writeBackKb): with storescu pushing 512 KiB CT instances on this project's
 * 2-vCPU VM, the time from an instance's last byte to its durable answer fell by 0.15 ms
 * (median) and a 200 MiB instance's from 152 to 9 ms; the rate stayed within noise, and 128 KiB
 * took more CPU from the receive for no shorter wait (docs/performance.md "Ingest").
 */
export const DEFAULT_WRITE_BACK_BYTES = 256 * 1024;

/** A C-STORE dataset about to arrive (the command said what it is). */
export interface StoreStreamOptions {
  /** Affected SOP Class UID of the C-STORE request (PS3.7 9.1.1). */
  sopClassUid: string;
  /** Affected SOP Instance UID of the C-STORE request. */
  sopInstanceUid: string;
  /** The transfer syntax accepted for the presentation context. */
  transferSyntaxUid: string;
  peer: PeerInfo;
  source: InstanceSource;
  /** Called when the dataset exceeds dimse.maxMessageBytes, once its temp file is gone (the SCP aborts). */
  onLimitExceeded?: (e: LimitExceededError) => void;
}

/** One instance being received: write the dataset bytes to `stream`, await `result`. */
export interface InstanceWrite {
  /** Dataset bytes only (what follows the File Meta Information). Never errors; see `result`. */
  stream: InstanceFileWriter;
  /**
   * Resolves once the instance is durable (file fsynced under its final name, index row and
   * audit row committed) or recognised as a re-send; rejects with a NodeError
   * (DatasetInvalidError, OutOfResourcesError, LimitExceededError).
   */
  result: Promise<ReceivedInstance>;
  /**
   * Gives up (association aborted): closes and removes the temp file. Once every byte arrived
   * it does nothing: `result` then finishes the instance (it is stored, though unanswered).
   */
  cancel(): void;
}

/**
 * The store stage (ARCHITECTURE.md): streams each instance to a temp file under
 * `<dataDir>/tmp/`, checks its header from the bytes kept while writing, renames it atomically
 * to a name the node made, fsyncs the file and its folder, and indexes it in one transaction
 * with its audit row, which runs while the fsyncs are in flight; the result resolves once both
 * are done (PRODUCT.md 1), and a failed fsync withdraws the row. Never holds a whole instance in
 * memory; idempotent on re-send.
 */
export class InstanceStore {
  private readonly index: InstanceIndex;
  private readonly tempDir: string;
  private readonly dataDir: string;
  /** The 256 `instances/<2 hex>` folders, each with a handle kept open for fsync. */
  private readonly folders = new Map<string, Promise<number>>();
  private readonly freeSpace: FreeSpaceGuard;
  private readonly recoveryWindowMs: number;
  /**
   * SOP Instance UIDs indexed while their file's fsyncs are in flight, each with a promise that
   * settles once the outcome is known (the row kept, or withdrawn).
   */
  private readonly filing = new Map<string, Promise<void>>();
  /** Shared by every temp-file write, so one stalled write moves them all to the thread pool. */
  private readonly syncWrites: SyncWritePolicy | undefined;
  /** InstanceStoreOptions.writeBackBytes with its default. */
  private readonly writeBackBytes: number;

  constructor(private readonly opts: InstanceStoreOptions) {
    this.dataDir = path.resolve(opts.dataDir);
    this.tempDir = path.join(this.dataDir, TEMP_DIR);
    this.index = new InstanceIndex(opts.db, opts.audit);
    this.recoveryWindowMs = opts.recoveryWindowMs ?? 60 * 60 * 1000;
    this.writeBackBytes = opts.writeBackBytes ?? DEFAULT_WRITE_BACK_BYTES;
    this.freeSpace = new FreeSpaceGuard({ dir: this.dataDir, minFreeMb: opts.minFreeMb, clock: opts.clock });
    this.syncWrites =
      opts.syncWrites === false
        ? undefined
        : new SyncWritePolicy({
            ...opts.syncWrites,
            onStall: (writeMs, cooldownMs) =>
              opts.logger.warn('store.write.stalled', {
                writeMs: Math.round(writeMs),
                threadPoolSeconds: cooldownMs / 1000,
              }),
          });
    fsSync.mkdirSync(this.tempDir, { recursive: true });
    makeInstanceFolders(path.join(this.dataDir, INSTANCES_DIR));
  }

  /**
   * Removes temp files left by a previous run: they were never acknowledged, so nothing is lost.
   * Call once at start, before accepting associations. Returns how many were removed.
   */
  async removeLeftoverTempFiles(): Promise<number> {
    const names = await fs.readdir(this.tempDir);
    let bytes = 0;
    for (const name of names) {
      const p = path.join(this.tempDir, name);
      bytes += (await fs.stat(p).catch(() => ({ size: 0 }))).size;
      await fs.rm(p, { force: true, recursive: true });
    }
    if (names.length > 0) {
      this.opts.logger.warn('store.temp.removed', { files: names.length, bytes });
      this.opts.audit.record({ event: 'store.temp_removed', detail: { files: names.length, bytes } });
    }
    return names.length;
  }

  /**
   * Deals with the instance files under `instances/` that no index row names. Call once at
   * start, before accepting associations. Two ways to get one:
   * - a crash after the rename and before the index commit (never acknowledged);
   * - a power loss after an acknowledged instance's index commit, which is not fsynced
   *   (InstanceIndex.record): its file was fsynced under its final name before the answer.
   * A file modified no earlier than `recoveryWindowMs` before the newest audit row (the last
   * durable commit) is checked (structure and header, as on receipt) and indexed again in one
   * transaction with an `instance.stored` audit row marked `recovered`; an unacknowledged one
   * becomes a stored instance, which a re-send then finds as a duplicate. Every other one is
   * removed (audited `store.orphans_removed`): a broken file, a copy of an instance indexed
   * under another name, or an older file, such as one a retention purge had de-indexed but not
   * yet removed when the node stopped.
   */
  async recoverOrphanFiles(): Promise<{ reindexed: number; removed: number }> {
    const indexed = new Set(
      (this.opts.db.prepare('SELECT file_path FROM instances').all() as Array<{ file_path: string }>).map(
        (r) => r.file_path,
      ),
    );
    const newest = this.opts.db.prepare('SELECT MAX(at) AS at FROM audit_events').get() as {
      at: string | null;
    };
    const since =
      newest.at === null ? Number.NEGATIVE_INFINITY : Date.parse(newest.at) - this.recoveryWindowMs;
    const root = path.join(this.dataDir, INSTANCES_DIR);
    let removed = 0;
    let reindexed = 0;
    for (const dir of await fs.readdir(root)) {
      if (!/^[0-9a-f]{2}$/.test(dir)) continue;
      for (const name of await fs.readdir(path.join(root, dir))) {
        const relative = path.posix.join(INSTANCES_DIR, dir, name);
        if (indexed.has(relative)) continue;
        const file = path.join(root, dir, name);
        const outcome = await this.reindex(file, relative, since);
        if (outcome === 'reindexed') reindexed++;
        else if (outcome === 'remove') {
          await fs.rm(file, { force: true });
          removed++;
        }
      }
    }
    if (reindexed > 0) {
      this.opts.logger.warn('store.orphans.reindexed', { files: reindexed });
      this.opts.audit.record({ event: 'store.orphans_reindexed', detail: { files: reindexed } });
    }
    if (removed > 0) {
      this.opts.logger.warn('store.orphans.removed', { files: removed });
      this.opts.audit.record({ event: 'store.orphans_removed', detail: { files: removed } });
    }
    return { reindexed, removed };
  }

  /**
   * Indexes one orphan file again, or says it is to be removed (old, not DICOM, broken, or a
   * copy of an indexed instance). An I/O or database error keeps the file for the next start.
   */
  private async reindex(file: string, relativePath: string, since: number): Promise<OrphanOutcome> {
    let facts: InstanceFacts;
    let scan: Part10Scan;
    let st: fsSync.Stats;
    try {
      st = await fs.stat(file);
      if (!st.isFile() || st.mtimeMs < since) return 'remove';
      scan = await scanPart10(file);
      const header: DicomHeader = scan.dataset
        ? {
            transferSyntaxUid: scan.transferSyntaxUid,
            mediaStorageSopClassUid: scan.mediaStorageSopClassUid,
            mediaStorageSopInstanceUid: scan.mediaStorageSopInstanceUid,
            dataset: scan.dataset,
          }
        : await readDicomHeader(file);
      facts = validateHeader(header);
    } catch (e) {
      // Not DICOM or broken: removed. A system error (EIO, EACCES...): kept for the next start.
      if (typeof (e as NodeJS.ErrnoException).errno !== 'number') return 'remove';
      this.opts.logger.error('store.orphan.unreadable', { file: relativePath, error: (e as Error).message });
      return 'keep';
    }
    const calling = scan.sourceApplicationEntityTitle;
    try {
      const r = this.index.record({
        facts,
        relativePath,
        sizeBytes: scan.sizeBytes,
        // Who sent it is not kept in the file beyond (0002,0016); the rest is unknown now.
        peer: { callingAeTitle: calling, calledAeTitle: '', peerAddress: '', associationId: 'recovered' },
        source: calling ? 'dimse' : 'stow',
        receivedAtIso: new Date(st.mtimeMs).toISOString(),
        recovered: true,
      });
      return r.kind === 'stored' ? 'reindexed' : 'remove';
    } catch (e) {
      this.opts.logger.error('store.orphan.not_indexed', { file: relativePath, error: (e as Error).message });
      return 'keep';
    }
  }

  /**
   * Withdraws the rows, among the `limit` indexed last, whose file is missing or not the size
   * indexed. Call once at start, before recoverOrphanFiles and before accepting associations.
   * The index transaction of an instance runs while its fsyncs are in flight (finalize), so a
   * power loss at that moment can keep a row whose file the disk never got; that instance was
   * never acknowledged, and without this check a re-send would be answered as a duplicate of a
   * file that is not there. Only instances being filed at the moment of the loss are at risk, at
   * most one per association or upload, so the newest rows are enough. Returns how many were
   * withdrawn (each audited `instance.withdrawn`, its partial file removed).
   */
  async withdrawUnfiledRows(limit = 1000): Promise<number> {
    let withdrawn = 0;
    for (const row of this.index.newestRows(limit)) {
      if (await this.fileIntact(row)) continue;
      await this.withdrawHeld(
        row,
        'its file was missing or short at start (the node stopped while filing it)',
      );
      withdrawn++;
    }
    if (withdrawn > 0) this.opts.logger.warn('store.rows.withdrawn', { instances: withdrawn });
    return withdrawn;
  }

  /** Withdraws a row whose file is lost (InstanceIndex.withdraw) and removes what is left of the file. */
  private async withdrawHeld(row: InstanceRow, reason: string): Promise<void> {
    this.index.withdraw(row, reason);
    await fs.rm(path.join(this.dataDir, row.file_path), { force: true });
  }

  /**
   * Whether a row's file is there with the size indexed. Only a missing or resized file counts as
   * lost: any other error (EACCES, EIO) keeps the row, as a re-send must not replace a copy that
   * may only be unreadable for now.
   */
  private async fileIntact(row: InstanceRow): Promise<boolean> {
    try {
      const st = await fs.stat(path.join(this.dataDir, row.file_path));
      return st.isFile() && st.size === row.size_bytes;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      this.opts.logger.error('store.instance.unreadable', {
        file: row.file_path,
        error: (e as Error).message,
      });
      return true;
    }
  }

  /** Throws OutOfResourcesError when free disk is below storage.minFreeMb (statfs reused briefly). */
  assertFreeSpace(): Promise<void> {
    return this.freeSpace.check();
  }

  /**
   * Closes the folder handles kept for fsync. Call once no write is in flight (at stop); a later
   * write opens them again.
   */
  async close(): Promise<void> {
    const handles = [...this.folders.values()];
    this.folders.clear();
    await Promise.all(
      handles.map(async (h) => {
        const fd = await h.catch(() => null);
        if (fd !== null) await closeFd(fd).catch(() => undefined);
      }),
    );
  }

  /**
   * A temp-file writer under `<dataDir>/tmp/` with what every write shares: the free-space check,
   * the write policy and the early write-back.
   */
  private newWriter(
    o: Pick<InstanceFileWriterOptions, 'prefix' | 'maxBytes' | 'onLimitExceeded'>,
  ): InstanceFileWriter {
    return new InstanceFileWriter({
      ...o,
      tempPath: newTempPath(this.dataDir),
      precheck: () => this.assertFreeSpace(),
      syncWrites: this.syncWrites,
      writeBackBytes: this.writeBackBytes,
    });
  }

  /**
   * The DIMSE path: a Writable for the dataset bytes of one C-STORE. The file gets a preamble,
   * "DICM" and a File Meta Information group built from the command (PS3.10 7.1).
   */
  storeStream(o: StoreStreamOptions): InstanceWrite {
    const stream = this.newWriter({
      prefix: buildFileMetaInformation({
        mediaStorageSopClassUid: o.sopClassUid,
        mediaStorageSopInstanceUid: o.sopInstanceUid,
        transferSyntaxUid: o.transferSyntaxUid,
        sourceApplicationEntityTitle: o.peer.callingAeTitle,
      }),
      maxBytes: this.opts.maxMessageBytes,
      onLimitExceeded: o.onLimitExceeded,
    });
    const result = (async () => {
      const out = await stream.outcome();
      if (out.error) {
        await stream.discard();
        throw out.error;
      }
      return this.finalize(
        stream,
        o.peer,
        o.source,
        {
          sopInstanceUid: o.sopInstanceUid,
          sopClassUid: o.sopClassUid,
          transferSyntaxUid: o.transferSyntaxUid,
        },
        { head: out.head, size: out.fileSize },
      );
    })();
    result.catch(() => undefined); // the caller may be gone (association aborted)
    // Once every byte arrived, finalize owns the file (it commits or discards it).
    return { stream, result, cancel: () => void (stream.writableFinished || stream.destroy()) };
  }

  /**
   * The STOW-RS path: a complete Part 10 stream (preamble and File Meta Information inside),
   * same temp → validate → rename → fsync → index steps.
   */
  async storePart10Stream(
    input: Readable,
    peer: PeerInfo,
    source: InstanceSource = 'stow',
    options: { maxBytes?: number } = {},
  ): Promise<ReceivedInstance> {
    const stream = this.newWriter({ maxBytes: options.maxBytes ?? this.opts.maxMessageBytes });
    try {
      await pipeline(input, stream);
    } catch (e) {
      await stream.discard();
      throw e instanceof NodeError
        ? e
        : new OutOfResourcesError(`the upload ended early (${(e as Error).message})`);
    }
    const out = await stream.outcome();
    if (out.error) {
      await stream.discard();
      throw out.error;
    }
    return this.finalize(stream, peer, source, {}, { head: out.head, size: out.fileSize });
  }

  /**
   * Header check (from the bytes kept in memory), re-send check, then the written file is
   * renamed to its final name, and the index transaction runs while the file and its folder are
   * fsynced; resolves once both are done.
   */
  private async finalize(
    file: InstanceFileWriter,
    peer: PeerInfo,
    source: InstanceSource,
    expected: HeaderExpectation,
    known: KnownHead,
  ): Promise<ReceivedInstance> {
    const log = this.opts.logger.child({ associationId: peer.associationId });
    let facts: InstanceFacts;
    let sizeBytes: number;
    try {
      const scan = await scanPart10(file.filePath, expected.transferSyntaxUid, known);
      // A deflated data set is not walked: dcmjs inflates and reads its header instead.
      const header: DicomHeader = scan.dataset
        ? {
            transferSyntaxUid: scan.transferSyntaxUid,
            mediaStorageSopClassUid: scan.mediaStorageSopClassUid,
            mediaStorageSopInstanceUid: scan.mediaStorageSopInstanceUid,
            dataset: scan.dataset,
          }
        : await readDicomHeader(file.filePath);
      facts = validateHeader(header, expected);
      sizeBytes = scan.sizeBytes;
    } catch (e) {
      await file.discard();
      log.warn('store.instance.invalid', {
        sopInstanceUid: expected.sopInstanceUid,
        reason: (e as Error).message,
      });
      throw e;
    }
    const receivedAt = this.opts.clock.now();
    const uid = facts.sopInstanceUid;
    const relativePath = newInstanceRelativePath();
    const finalPath = path.join(this.dataDir, relativePath);
    let folder: number;
    try {
      folder = await this.folder(path.dirname(finalPath));
      // A re-send: the first copy is kept once it is durable. A copy still being filed is
      // waited for (its fsync may yet fail, and then this one is filed instead).
      for (;;) {
        const filing = this.filing.get(uid);
        if (filing) {
          await filing;
          continue;
        }
        const held = this.index.existing(uid);
        if (!held) break; // nothing awaited from here to the index transaction below
        if (await this.fileIntact(held)) {
          await file.discard();
          this.index.recordDuplicate(facts, held, peer, source);
          return this.duplicate(facts, held, peer, source, receivedAt);
        }
        await this.withdrawHeld(held, 'its file is missing or not the size indexed; a re-send replaces it');
      }
    } catch (e) {
      await file.discard();
      throw asOutOfResources(e);
    }
    // The rename happens now and the fsyncs of the file and its folder start; the index
    // transaction runs while they are in flight, and the answer waits for both. Should an fsync
    // fail, the row is withdrawn before anyone hears of it; re-sends of the same instance wait
    // in the loop above until then.
    const durable = file.commit(finalPath, () => fsyncFd(folder));
    let r: IndexResult;
    try {
      r = this.index.record({
        facts,
        relativePath,
        sizeBytes,
        peer,
        source,
        receivedAtIso: new Date(receivedAt).toISOString(),
      });
    } catch (e) {
      await durable.catch(() => undefined);
      await fs.rm(finalPath, { force: true });
      throw e;
    }
    if (r.kind === 'duplicate') {
      // Not reached while the loop above and the transaction run in one go; kept for safety.
      await durable.catch(() => undefined);
      await fs.rm(finalPath, { force: true });
      return this.duplicate(facts, r.existing, peer, source, receivedAt);
    }
    let filed!: () => void;
    this.filing.set(uid, new Promise<void>((resolve) => (filed = resolve)));
    try {
      await durable;
    } catch (e) {
      const row = this.index.existing(uid);
      if (row?.id === r.id) {
        this.index.withdraw(row, `the file could not be made durable (${(e as Error).message})`);
      }
      throw asOutOfResources(e);
    } finally {
      this.filing.delete(uid);
      filed();
    }
    this.freeSpace.written(sizeBytes);
    log.debug('store.instance.stored', {
      sopInstanceUid: facts.sopInstanceUid,
      seriesInstanceUid: facts.seriesInstanceUid,
      sizeBytes,
      lateArrival: r.lateArrival,
    });
    return {
      ...facts,
      filePath: finalPath,
      sizeBytes,
      source,
      peer,
      receivedAt,
      duplicate: false,
      lateArrival: r.lateArrival,
    };
  }

  /** A re-sent instance: the first copy stays, the answer is success (PRODUCT.md 1). */
  private duplicate(
    facts: InstanceFacts,
    existing: InstanceRow,
    peer: PeerInfo,
    source: InstanceSource,
    receivedAt: number,
  ): ReceivedInstance {
    this.opts.logger.info('store.instance.duplicate', {
      associationId: peer.associationId,
      sopInstanceUid: facts.sopInstanceUid,
    });
    return {
      ...facts,
      sopClassUid: existing.sop_class_uid,
      transferSyntaxUid: existing.transfer_syntax_uid,
      filePath: path.join(this.dataDir, existing.file_path),
      sizeBytes: existing.size_bytes,
      source,
      peer,
      receivedAt,
      duplicate: true,
      lateArrival: existing.late_arrival === 1,
    };
  }

  /**
   * Opens the descriptors of the 256 instance folders now (call at start, after the start-up
   * checks), so that no instance waits on the acknowledgement path for the first open of its
   * folder: on a fresh node most of the first few hundred instances would. Without it they
   * open as they are first used. `close` closes them.
   */
  async openFolders(): Promise<void> {
    const root = path.join(this.dataDir, INSTANCES_DIR);
    await Promise.all(INSTANCE_FOLDERS.map((name) => this.folder(path.join(root, name))));
  }

  /**
   * An `instances/<2 hex>` folder (made at construction), with a descriptor kept open for the
   * fsync that makes each new name in it durable. Plain descriptors (not FileHandles): a store
   * that is never closed leaves no GC warnings.
   */
  private folder(dir: string): Promise<number> {
    let fd = this.folders.get(dir);
    if (!fd) {
      fd = (async () => {
        try {
          return await openFd(dir, 'r');
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
          // Removed while the node runs: made again, its name fsynced in `instances/`.
          await fs.mkdir(dir, { recursive: true });
          await fsyncDir(path.dirname(dir));
          return openFd(dir, 'r');
        }
      })();
      this.folders.set(dir, fd);
      fd.catch(() => this.folders.delete(dir));
    }
    return fd;
  }
}

/**
 * Makes `instances/` and its 256 `<2 hex>` folders when missing, so no instance waits for a
 * mkdir and the fsync of its parent. Runs once at construction (start-up, not the hot path):
 * the new names are fsynced there, synchronously.
 */
function makeInstanceFolders(root: string): void {
  fsSync.mkdirSync(root, { recursive: true });
  const present = new Set(fsSync.readdirSync(root));
  let made = 0;
  for (const name of INSTANCE_FOLDERS) {
    if (present.has(name)) continue;
    fsSync.mkdirSync(path.join(root, name), { recursive: true });
    made++;
  }
  if (made === 0) return;
  const fd = fsSync.openSync(root, 'r');
  try {
    fsSync.fsyncSync(fd);
  } finally {
    fsSync.closeSync(fd);
  }
}

/** A failure while filing an instance, as the OutOfResourcesError the sender is answered with. */
function asOutOfResources(e: unknown): NodeError {
  return e instanceof NodeError
    ? e
    : new OutOfResourcesError(
        `the instance could not be filed (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
      );
}

const openFd = promisify(fsSync.open);
const fsyncFd = promisify(fsSync.fsync);
const closeFd = promisify(fsSync.close);

async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
