import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { Router, type Request } from 'express';
import { parseDicomHeader } from '../dicom/readDicomHeader';
import { str } from '../dicom/datasetValues';
import { LimitExceededError, NodeError } from '../pipeline/errors';
import type { PeerInfo } from '../pipeline/types';
import { ANONYMOUS_ACTOR, principalOf, requireRole } from './bearerAuth';
import type { DicomJsonDataset } from './dicomJson';
import type { HttpDeps } from './httpDeps';
import { parseContentType, parseMultipartRelated } from './multipartRelated';
import { HttpStatusError } from './problemDetails';

/** FailureReason values of the STOW-RS response (PS3.18 10.5.3.3, PS3.4 Annex B.2.3). */
export const FailureReason = {
  /** 0xA700 Refused: Out of Resources. */
  OutOfResources: 0xa700,
  /** 0xA900 Error: Data Set does not match SOP Class (also: Study Instance UID differs from the target). */
  DataSetDoesNotMatch: 0xa900,
  /** 0xC000 Error: Cannot understand. */
  CannotUnderstand: 0xc000,
  /** 0x0110 Processing failure. */
  ProcessingFailure: 0x0110,
} as const;

const PEEK_BYTES = 1024 * 1024;

interface StowItem {
  sopClassUid: string | null;
  sopInstanceUid: string | null;
  retrieveUrl?: string;
  failureReason?: number;
}

/** The base URL of the DICOMweb service as the client addressed it. */
export function dicomWebBase(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}${req.baseUrl}`;
}

/**
 * Reads the first bytes of a part (enough for its header in practice) and gives back a stream of
 * the whole part: the prefix, then the rest, never the whole body in memory.
 */
async function peek(body: Readable, bytes: number): Promise<{ prefix: Buffer; whole: Readable }> {
  const it = (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let n = 0;
  let ended = false;
  while (n < bytes) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    chunks.push(r.value);
    n += r.value.length;
  }
  const prefix = Buffer.concat(chunks);
  async function* rest(): AsyncGenerator<Buffer> {
    yield prefix;
    if (ended) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { prefix, whole: Readable.from(rest(), { objectMode: false }) };
}

function failureReasonOf(e: unknown): number {
  if (e instanceof NodeError) {
    if (e.code === 'OUT_OF_RESOURCES' || e.code === 'LIMIT_EXCEEDED') return FailureReason.OutOfResources;
    if (e.code === 'DATASET_INVALID' || e.code === 'SOP_CLASS_NOT_SUPPORTED')
      return FailureReason.CannotUnderstand;
  }
  return FailureReason.ProcessingFailure;
}

/** The STOW-RS response dataset (PS3.18 10.5.3, Table 10.5.3-1) in DICOM JSON. */
export function stowResponse(items: StowItem[], studyUrl: string | null): DicomJsonDataset {
  const uid = (v: string | null): { vr: string; Value?: unknown[] } =>
    v ? { vr: 'UI', Value: [v] } : { vr: 'UI' };
  const out: DicomJsonDataset = {};
  if (studyUrl) out['00081190'] = { vr: 'UR', Value: [studyUrl] };
  const failed = items.filter((i) => i.failureReason !== undefined);
  const stored = items.filter((i) => i.failureReason === undefined);
  if (failed.length)
    out['00081198'] = {
      vr: 'SQ',
      Value: failed.map((i) => ({
        '00081150': uid(i.sopClassUid),
        '00081155': uid(i.sopInstanceUid),
        '00081197': { vr: 'US', Value: [i.failureReason] },
      })),
    };
  if (stored.length)
    out['00081199'] = {
      vr: 'SQ',
      Value: stored.map((i) => ({
        '00081150': uid(i.sopClassUid),
        '00081155': uid(i.sopInstanceUid),
        '00081190': { vr: 'UR', Value: [i.retrieveUrl] },
      })),
    };
  return out;
}

/**
 * STOW-RS (PS3.18 10.5): POST /studies and /studies/{study}, multipart/related;
 * type="application/dicom". Each part is streamed into the same store as C-STORE, with the
 * same durability, then handed to series assembly.
 */
export function stowRoutes(deps: HttpDeps): Router {
  const r = Router();
  const max = deps.config.http.maxStowBytes;
  const handler = async (
    req: Request<{ study?: string }>,
    res: import('express').Response,
  ): Promise<void> => {
    const ct = parseContentType(req.get('content-type'));
    if (ct.mediaType !== 'multipart/related')
      throw new HttpStatusError(
        415,
        'STOW-RS needs Content-Type multipart/related; type="application/dicom" (PS3.18 10.5.1.1)',
      );
    const rootType = (ct.params.type ?? 'application/dicom').toLowerCase();
    if (rootType !== 'application/dicom')
      throw new HttpStatusError(
        415,
        `type="${rootType}" is not supported; send application/dicom parts (PS3.18 10.5.1.1)`,
      );
    const boundary = ct.params.boundary;
    if (!boundary) throw new NodeError('BAD_REQUEST', 'the multipart/related Content-Type has no boundary');
    const declared = Number(req.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > max)
      throw new LimitExceededError(`the request (${declared} bytes) exceeds http.maxStowBytes (${max})`);
    const principal = principalOf(res);
    const peer: PeerInfo = {
      callingAeTitle: principal.name === ANONYMOUS_ACTOR ? 'STOW-RS' : principal.name,
      calledAeTitle: deps.config.aeTitle,
      peerAddress: req.socket.remoteAddress ?? '',
      associationId: crypto.randomUUID(),
    };
    const base = dicomWebBase(req);
    const targetStudy = req.params.study ?? null;
    const items: StowItem[] = [];
    const log = deps.logger.child({ correlationId: peer.associationId, stage: 'api' });
    try {
      await parseMultipartRelated(req, boundary, { maxBytes: max }, async (part) => {
        const partType = parseContentType(part.headers['content-type'] ?? rootType).mediaType;
        if (partType !== 'application/dicom') {
          items.push({
            sopClassUid: null,
            sopInstanceUid: null,
            failureReason: FailureReason.CannotUnderstand,
          });
          return;
        }
        const { prefix, whole } = await peek(part.body, PEEK_BYTES);
        let sopClassUid: string | null = null;
        let sopInstanceUid: string | null = null;
        let studyUid: string | null = null;
        try {
          const h = parseDicomHeader(prefix);
          sopClassUid = str(h.dataset, 'SOPClassUID') ?? (h.mediaStorageSopClassUid || null);
          sopInstanceUid = str(h.dataset, 'SOPInstanceUID') ?? (h.mediaStorageSopInstanceUid || null);
          studyUid = str(h.dataset, 'StudyInstanceUID');
        } catch {
          // The store validates and answers with DatasetInvalidError when it really is not DICOM.
        }
        if (targetStudy && studyUid && studyUid !== targetStudy) {
          whole.resume();
          items.push({ sopClassUid, sopInstanceUid, failureReason: FailureReason.DataSetDoesNotMatch });
          return;
        }
        try {
          const inst = await deps.ingest.storePart10Stream(whole, peer, 'stow');
          deps.metrics.instanceReceived(inst.sopClassUid, peer.callingAeTitle, inst.sizeBytes);
          deps.ingest.instanceStored?.(inst);
          items.push({
            sopClassUid: inst.sopClassUid,
            sopInstanceUid: inst.sopInstanceUid,
            retrieveUrl: `${base}/studies/${inst.studyInstanceUid}/series/${inst.seriesInstanceUid}/instances/${inst.sopInstanceUid}`,
          });
        } catch (e) {
          whole.resume();
          const reason = failureReasonOf(e);
          log.warn('api.stow.instance_failed', {
            part: part.index,
            failureReason: reason,
            code: (e as NodeError).code,
            error: (e as Error).message,
          });
          items.push({ sopClassUid, sopInstanceUid, failureReason: reason });
        }
      });
    } finally {
      deps.ingest.requestEnded?.(peer.associationId);
    }
    if (items.length === 0) throw new NodeError('BAD_REQUEST', 'the request has no body parts');
    const storedStudies = new Set(
      items.filter((i) => i.retrieveUrl).map((i) => /\/studies\/([^/]+)/.exec(i.retrieveUrl!)![1]),
    );
    const study = targetStudy ?? (storedStudies.size === 1 ? [...storedStudies][0]! : null);
    const stored = items.filter((i) => i.failureReason === undefined).length;
    const status = stored === items.length ? 200 : stored === 0 ? 409 : 202;
    log.info('api.stow.done', { parts: items.length, stored, failed: items.length - stored, status });
    res
      .status(status)
      .type('application/dicom+json')
      .send(JSON.stringify(stowResponse(items, study ? `${base}/studies/${study}` : null)));
  };
  r.post(['/studies', '/studies/:study'], requireRole(deps.config.http.tokens, 'admin'), handler);
  return r;
}
