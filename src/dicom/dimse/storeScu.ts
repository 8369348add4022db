import fs from 'node:fs/promises';
import { DeliveryError } from '../../pipeline/errors';
import { dcmjs } from '../dcmjs';
import { TransferSyntax } from '../transferSyntax';
import { classifyCStoreStatus, formatStatus, type CStoreStatusClass } from './cStoreStatus';
import { parsePart10Meta, readPart10Meta, type Part10Meta } from './part10Meta';
import type { ProposedContext } from './pdu';
import { ScuAssociation, type DatasetSource, type ScuTlsOptions } from './scuAssociation';

/** `status` of a result that has no C-STORE-RSP (unreadable file, association failure). */
export const NO_DIMSE_STATUS = -1;

export interface StoreFilesOptions {
  host: string;
  port: number;
  calledAeTitle: string;
  callingAeTitle: string;
  tls?: ScuTlsOptions;
  /** Connect / association / per-response timeout in ms (default 30000). */
  timeoutMs?: number;
  /** Maximum PDU length we advertise and send (default 65536). */
  maxPduLength?: number;
}

/** The truthful outcome of one file (PS3.7 C.4.2.1.5). */
export interface StoreResult {
  file: string;
  /** From the File Meta Information; '' when the file could not be read. */
  sopInstanceUid: string;
  sopClassUid: string;
  /** The transfer syntax the data set was sent in ('' when not sent). */
  transferSyntaxUid: string;
  /** The C-STORE-RSP Status (0000,0900), or NO_DIMSE_STATUS (-1) when there was no response. */
  status: number;
  statusClass: CStoreStatusClass;
  /** True when sending again later may succeed. */
  retryable: boolean;
  /** Standard meaning of the status, with the peer's Error Comment when given. */
  message: string;
}

const UNCOMPRESSED_LE = new Set<string>([
  TransferSyntax.ExplicitVRLittleEndian,
  TransferSyntax.ImplicitVRLittleEndian,
]);
/** PS3.8 9.3.2.2: presentation context ids are odd, 1..255, so at most 128 per association. */
const MAX_CONTEXTS = 128;

interface Item {
  file: string;
  meta: Part10Meta;
}

const failure = (
  file: string,
  meta: Partial<Part10Meta>,
  message: string,
  retryable: boolean,
): StoreResult => ({
  file,
  sopInstanceUid: meta.sopInstanceUid ?? '',
  sopClassUid: meta.sopClassUid ?? '',
  transferSyntaxUid: '',
  status: NO_DIMSE_STATUS,
  statusClass: 'failure',
  retryable,
  message,
});

/**
 * C-STORE SCU (PS3.4 B.2, PS3.7 9.1.1): sends Part 10 files on as few associations as possible
 * (one, unless more than 128 presentation contexts are needed; see proposeContexts). A file is
 * sent as stored (data set bytes streamed from disk) when its syntax was accepted, else converted
 * between the two uncompressed little-endian syntaxes. Resolves with one result per file, in order;
 * never rejects for a peer's answer — association rejects and aborts become failed results.
 */
export async function storeFiles(files: readonly string[], opts: StoreFilesOptions): Promise<StoreResult[]> {
  const results = new Array<StoreResult | undefined>(files.length);
  const items: Array<Item & { index: number }> = [];
  for (const [index, file] of files.entries()) {
    try {
      items.push({ index, file, meta: await readPart10Meta(file) });
    } catch (e) {
      results[index] = failure(file, {}, `not sent: ${(e as Error).message}`, false);
    }
  }
  for (const batch of batches(items)) {
    const out = await storeBatch(batch, opts);
    batch.forEach((it, i) => (results[it.index] = out[i]));
  }
  return results.map((r, i) => r ?? failure(files[i]!, {}, 'not sent', true));
}

const pairKey = (m: Part10Meta): string => `${m.sopClassUid}|${m.transferSyntaxUid}`;

/** Contexts a batch needs: one per (SOP class, syntax) pair and one fallback per SOP class. */
function contextKeys(m: Part10Meta): string[] {
  return [pairKey(m), `${m.sopClassUid}|*`];
}

function batches<T extends Item>(items: T[]): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let keys = new Set<string>();
  for (const it of items) {
    const fresh = contextKeys(it.meta).filter((k) => !keys.has(k));
    if (fresh.length > 0 && keys.size + fresh.length > MAX_CONTEXTS) {
      out.push(current);
      current = [];
      keys = new Set();
    }
    for (const k of contextKeys(it.meta)) keys.add(k);
    current.push(it);
  }
  if (current.length) out.push(current);
  return out;
}

/**
 * PS3.8 9.3.2.2: one context per (SOP class, transfer syntax of the file) proposing that syntax
 * alone, so an SCP that accepts it must take the file as stored; plus one context per SOP class
 * proposing Explicit and Implicit VR Little Endian (the default every SCP accepts, PS3.5 10.1)
 * for uncompressed files whose own syntax was refused. Compressed data sets are never decoded.
 */
function proposeContexts(items: Item[]): { contexts: ProposedContext[]; byPair: Map<string, number> } {
  const byPair = new Map<string, number>();
  const contexts: ProposedContext[] = [];
  const add = (key: string, abstractSyntax: string, transferSyntaxes: string[]): void => {
    if (byPair.has(key)) return;
    const id = contexts.length * 2 + 1;
    byPair.set(key, id);
    contexts.push({ id, abstractSyntax, transferSyntaxes });
  };
  for (const { meta } of items) {
    add(pairKey(meta), meta.sopClassUid, [meta.transferSyntaxUid]);
    add(`${meta.sopClassUid}|*`, meta.sopClassUid, [
      TransferSyntax.ExplicitVRLittleEndian,
      TransferSyntax.ImplicitVRLittleEndian,
    ]);
  }
  return { contexts, byPair };
}

async function storeBatch(batch: Item[], opts: StoreFilesOptions): Promise<StoreResult[]> {
  const { contexts, byPair } = proposeContexts(batch);
  let assoc: ScuAssociation;
  try {
    assoc = await ScuAssociation.open({ ...opts, contexts });
  } catch (e) {
    const err = asDeliveryError(e);
    return batch.map((it) => failure(it.file, it.meta, err.message, err.retryable));
  }
  const out: StoreResult[] = [];
  let broken: DeliveryError | undefined;
  for (const it of batch) {
    if (broken) {
      out.push(failure(it.file, it.meta, `not sent: ${broken.message}`, broken.retryable));
      continue;
    }
    const choice = chooseContext(it.meta, contexts, byPair, assoc);
    if (!choice) {
      out.push(
        failure(
          it.file,
          it.meta,
          `no presentation context accepted for SOP class ${it.meta.sopClassUid} (PS3.8 9.3.3.2)`,
          false,
        ),
      );
      continue;
    }
    try {
      const data: DatasetSource =
        choice.transferSyntax === it.meta.transferSyntaxUid
          ? { file: it.file, offset: it.meta.datasetOffset, size: it.meta.size }
          : { bytes: await convertDataset(it.file, choice.transferSyntax) };
      const rsp = await assoc.cStore(choice.id, it.meta.sopClassUid, it.meta.sopInstanceUid, data);
      if (rsp.status === null) {
        out.push(failure(it.file, it.meta, 'C-STORE-RSP without Status (0000,0900)', true));
        continue;
      }
      const info = classifyCStoreStatus(rsp.status);
      out.push({
        file: it.file,
        sopInstanceUid: it.meta.sopInstanceUid,
        sopClassUid: it.meta.sopClassUid,
        transferSyntaxUid: choice.transferSyntax,
        status: rsp.status,
        statusClass: info.statusClass,
        retryable: info.retryable,
        message: `${formatStatus(rsp.status)} ${info.meaning}${rsp.errorComment ? `: ${rsp.errorComment}` : ''}`,
      });
    } catch (e) {
      const err = asDeliveryError(e);
      if (err.message.startsWith('cannot convert')) {
        out.push(failure(it.file, it.meta, err.message, false));
        continue;
      }
      broken = err;
      out.push(failure(it.file, it.meta, err.message, err.retryable));
    }
  }
  if (broken) assoc.abort();
  else await assoc.release();
  return out;
}

function asDeliveryError(e: unknown): DeliveryError {
  return e instanceof DeliveryError
    ? e
    : new DeliveryError((e as Error).message ?? String(e), true, { cause: e });
}

/**
 * The accepted context to send a file on: one that accepted the file's own syntax (any context
 * of the same SOP class), else one that accepted an uncompressed syntax when the file is
 * uncompressed little endian itself.
 */
function chooseContext(
  meta: Part10Meta,
  contexts: ProposedContext[],
  byPair: Map<string, number>,
  assoc: ScuAssociation,
): { id: number; transferSyntax: string } | undefined {
  const own = byPair.get(pairKey(meta))!;
  const sameClass = [
    own,
    ...contexts.filter((c) => c.abstractSyntax === meta.sopClassUid && c.id !== own).map((c) => c.id),
  ];
  const accepted = sameClass.map((id) => assoc.accepted.get(id)).filter((c) => c !== undefined);
  const exact = accepted.find((c) => c.transferSyntax === meta.transferSyntaxUid);
  if (exact) return { id: exact.id, transferSyntax: exact.transferSyntax };
  if (!UNCOMPRESSED_LE.has(meta.transferSyntaxUid)) return undefined;
  const other = accepted.find((c) => UNCOMPRESSED_LE.has(c.transferSyntax));
  return other ? { id: other.id, transferSyntax: other.transferSyntax } : undefined;
}

/** Re-encodes an uncompressed little-endian data set in the other uncompressed syntax (PS3.5 A.1/A.2). */
async function convertDataset(file: string, transferSyntaxUid: string): Promise<Buffer> {
  try {
    const buf = await fs.readFile(file);
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    // DicomMessage.readFile gives a DicomDict; write() encodes the data set in the meta's syntax.
    const dict = dcmjs.data.DicomMessage.readFile(ab) as {
      meta: Record<string, { vr: string; Value: unknown[] }>;
      write(): ArrayBuffer;
    };
    dict.meta['00020010'] = { vr: 'UI', Value: [transferSyntaxUid] };
    const out = Buffer.from(dict.write());
    return out.subarray(parsePart10Meta(out, out.length).datasetOffset);
  } catch (e) {
    throw new DeliveryError(`cannot convert to ${transferSyntaxUid}: ${(e as Error).message}`, false, {
      cause: e,
    });
  }
}
