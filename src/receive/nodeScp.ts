import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { Dataset, Scp, constants, responses, type association, type requests } from 'dcmjs-dimse';
import type { Logger } from '../logging/logger';
import type { AuditSink } from '../pipeline/audit';
import { isStorageSopClass } from '../dicom/sopClass';
import { LimitExceededError } from '../pipeline/errors';
import type { PeerInfo } from '../pipeline/types';
import { normalizeAddress } from './addressMatches';
import { evaluateAssociationRequest, type AssociationPolicy } from './associationPolicy';
import { encodeCStoreResponsePdu } from './cStoreResponsePdu';
import { CStoreStatus, cStoreStatusFor } from './cStoreStatusFor';
import { ContextResult, negotiatePresentationContexts } from './negotiatePresentationContexts';
import { PduGuard } from './pduGuard';
import type { DimseLimits, InstanceSink, SeriesEvents } from './types';

type PresentationContext = association.PresentationContext;
type Association = association.Association;
type InstanceWrite = ReturnType<InstanceSink['storeStream']>;

/** The set of open associations, shared by the SCPs of one server (no module globals). */
export interface AssociationRegistry {
  readonly open: Set<string>;
}

/** Everything one SCP needs, injected by the DIMSE server. */
export interface ScpContext {
  associationId: string;
  policy: AssociationPolicy;
  limits: DimseLimits;
  sink: InstanceSink;
  events: SeriesEvents;
  audit: AuditSink;
  logger: Logger;
  registry: AssociationRegistry;
  tls: boolean;
  /** Told of each rejected association request, with the reason's name (metrics). */
  onRejected?: (reason: string) => void;
}

type State = 'connected' | 'accepted' | 'ended';

/** PS3.8 9.3.8 A-ABORT: source 2 service-provider; reasons 0 not specified, 1 unrecognized PDU, 6 invalid PDU parameter. */
const ABORT_SOURCE_PROVIDER = 2;
const ABORT_REASON_NOT_SPECIFIED = 0;
const ABORT_REASON_UNRECOGNIZED_PDU = 1;
const ABORT_REASON_UNEXPECTED_PDU = 2;
const ABORT_REASON_INVALID_PARAMETER = 6;

/**
 * The node's DIMSE SCP on one connection (dcmjs-dimse Scp): association policy, presentation
 * context negotiation, C-ECHO (PS3.7 9.1.5) and streamed C-STORE (PS3.7 9.1.1) answered with
 * success only once the store resolved. Raw PDU headers are checked before the library buffers
 * them; socket reads pause while the temp file catches up.
 */
export class NodeScp extends Scp {
  private state: State = 'connected';
  private readonly log: Logger;
  private readonly writes = new Map<requests.CStoreRequest, InstanceWrite>();
  /** Presentation context of each C-STORE whose data set is being received (for its response). */
  private readonly contexts = new WeakMap<requests.CStoreRequest, number>();
  private current: InstanceWrite | null = null;
  private paused = false;
  private closing = false;
  private stored = 0;
  private peer: PeerInfo;
  private markClosed: () => void = () => undefined;
  /** Resolves once the connection closed and its end was recorded (audit, assembler). */
  readonly closed: Promise<void> = new Promise((resolve) => (this.markClosed = resolve));

  constructor(
    private readonly sock: Socket,
    opts: ConstructorParameters<typeof Scp>[1],
    private readonly ctx: ScpContext,
  ) {
    super(sock, opts);
    this.log = ctx.logger.child({ associationId: ctx.associationId });
    this.peer = {
      callingAeTitle: '',
      calledAeTitle: '',
      peerAddress: normalizeAddress(sock.remoteAddress ?? ''),
      associationId: ctx.associationId,
    };
    sock.setNoDelay(true);
    // dcmjs-dimse starts its association/PDU timers from `connectedTime`, which it only sets for
    // client sockets; an accepted socket is connected now.
    const internals = this as unknown as { connected: boolean; connectedTime: number };
    internals.connected = true;
    internals.connectedTime = Date.now();

    const guard = new PduGuard(ctx.limits.maxPduLength);
    sock.prependListener('data', (chunk: Buffer) => {
      if (this.closing) return;
      const v = guard.feed(chunk);
      if (!v) return;
      this.refuse(
        v.problem,
        v.problem === 'unknown-pdu-type'
          ? `unknown PDU type 0x${v.pduType.toString(16).padStart(2, '0')}`
          : `PDU type 0x${v.pduType.toString(16).padStart(2, '0')} of ${v.length} bytes exceeds the limit (max PDU length ${ctx.limits.maxPduLength})`,
        v.problem === 'unknown-pdu-type' ? ABORT_REASON_UNRECOGNIZED_PDU : ABORT_REASON_INVALID_PARAMETER,
      );
    });
    sock.on('data', () => this.applyBackpressure());
    this.on('networkError', (e: Error) => {
      if (this.closing) return;
      const message = e?.message ?? String(e);
      // dcmjs-dimse reports its association and PDU timers (dimse.*TimeoutSeconds) this way too,
      // after sending its own A-ABORT.
      const timeout = /timeout/i.test(message);
      this.refuse(
        timeout ? 'timeout' : 'network-error',
        message,
        timeout ? null : ABORT_REASON_NOT_SPECIFIED,
      );
    });
    this.on('close', () => this.onClose());
  }

  override associationRequested(a: Association): void {
    if (this.state !== 'connected') {
      // PS3.8 9.3.8: an A-ASSOCIATE-RQ on an established association is an unexpected PDU.
      this.refuse(
        'unexpected-pdu',
        'A-ASSOCIATE-RQ on an established association',
        ABORT_REASON_UNEXPECTED_PDU,
      );
      return;
    }
    this.peer = {
      ...this.peer,
      callingAeTitle: a.getCallingAeTitle().trim(),
      calledAeTitle: a.getCalledAeTitle().trim(),
    };
    const rejection = evaluateAssociationRequest(
      { ...this.peer, activeAssociations: this.ctx.registry.open.size },
      this.ctx.policy,
    );
    if (rejection) {
      this.sendAssociationReject(rejection.result, rejection.source, rejection.reason);
      this.ctx.onRejected?.(rejection.reasonName);
      this.state = 'ended';
      this.closing = true;
      this.ctx.audit.record({
        event: 'association.rejected',
        actor: this.peer.callingAeTitle,
        correlationId: this.ctx.associationId,
        detail: {
          reason: rejection.reasonName,
          result: rejection.result,
          source: rejection.source,
          reasonCode: rejection.reason,
          why: rejection.detail,
          calledAeTitle: this.peer.calledAeTitle,
          peerAddress: this.peer.peerAddress,
        },
      });
      this.log.warn('receive.association.rejected', {
        callingAeTitle: this.peer.callingAeTitle,
        calledAeTitle: this.peer.calledAeTitle,
        peerAddress: this.peer.peerAddress,
        reason: rejection.reasonName,
        why: rejection.detail,
      });
      // Nothing more is read from a rejected peer (PS3.8 9.2.2: it must release the connection).
      this.closeSoon();
      return;
    }
    const proposed = a.getPresentationContexts().map((pc) => ({
      id: pc.id,
      abstractSyntaxUid: pc.context.getAbstractSyntaxUid(),
      transferSyntaxUids: pc.context.getTransferSyntaxUids(),
    }));
    const decisions = negotiatePresentationContexts(proposed);
    for (const d of decisions) {
      const pc = a.getPresentationContext(d.id);
      if (d.result === ContextResult.Acceptance) pc.setResult(d.result, d.transferSyntaxUid);
      else pc.setResult(d.result);
    }
    // PS3.8 D.1: the maximum length we are able to receive.
    a.setMaxPduLength(this.ctx.limits.maxPduLength);
    this.sendAssociationAccept();
    this.state = 'accepted';
    this.ctx.registry.open.add(this.ctx.associationId);
    const accepted = decisions.filter((d) => d.result === ContextResult.Acceptance).length;
    this.ctx.audit.record({
      event: 'association.accepted',
      actor: this.peer.callingAeTitle,
      correlationId: this.ctx.associationId,
      detail: {
        calledAeTitle: this.peer.calledAeTitle,
        peerAddress: this.peer.peerAddress,
        contextsAccepted: accepted,
        contextsRejected: decisions.length - accepted,
        tls: this.ctx.tls,
      },
    });
    this.log.info('receive.association.accepted', {
      callingAeTitle: this.peer.callingAeTitle,
      calledAeTitle: this.peer.calledAeTitle,
      peerAddress: this.peer.peerAddress,
      contextsAccepted: accepted,
      contextsRejected: decisions.length - accepted,
    });
  }

  override associationReleaseRequested(): void {
    this.sendAssociationReleaseResponse();
    this.end('association.released', { instancesStored: this.stored });
  }

  override abort(source: number, reason: number): void {
    this.closing = true;
    this.end('association.aborted', {
      by: 'peer',
      abortSource: source,
      abortReason: reason,
      instancesStored: this.stored,
    });
    this.sock.destroy();
  }

  override cEchoRequest(
    request: requests.CEchoRequest,
    callback: (response: responses.CEchoResponse) => void,
  ): void {
    if (this.state !== 'accepted') return; // never answered outside an accepted association
    // PS3.7 9.1.5 C-ECHO: success.
    const response = responses.CEchoResponse.fromRequest(request);
    response.setStatus(constants.Status.Success);
    this.log.debug('receive.echo', {});
    callback(response);
  }

  override createStoreWritableStream(
    context: PresentationContext,
    request: requests.CStoreRequest,
  ): Writable {
    if (
      this.state !== 'accepted' ||
      context.getResult() !== ContextResult.Acceptance ||
      !isStorageSopClass(context.getAbstractSyntaxUid())
    ) {
      // Data outside an accepted association, on a context we did not accept, or on a context that
      // is not a storage context (PS3.7 9.1.1): never stored.
      this.refuse(
        'unexpected-pdu',
        'data set on a presentation context that was not accepted',
        ABORT_REASON_UNEXPECTED_PDU,
      );
      return new Writable({ write: (_chunk, _encoding, done) => done() });
    }
    const write = this.ctx.sink.storeStream({
      sopClassUid: request.getAffectedSopClassUid(),
      sopInstanceUid: request.getAffectedSopInstanceUid(),
      transferSyntaxUid: context.getAcceptedTransferSyntaxUid() ?? '',
      peer: this.peer,
      source: 'dimse',
      onLimitExceeded: (e) => this.refuse('message-too-large', e.message, ABORT_REASON_NOT_SPECIFIED),
    });
    this.writes.set(request, write);
    this.contexts.set(request, context.getPresentationContextId());
    this.current = write;
    return write.stream;
  }

  override createDatasetFromStoreWritableStream(
    _writable: unknown,
    context: PresentationContext,
    callback: (dataset: Dataset) => void,
  ): void {
    // The bytes are in the store; cStoreRequest awaits its result. The library needs a Dataset.
    callback(new Dataset({}, context.getAcceptedTransferSyntaxUid()));
  }

  override cStoreRequest(
    request: requests.CStoreRequest,
    callback: (response: responses.CStoreResponse) => void,
  ): void {
    const write = this.writes.get(request);
    this.writes.delete(request);
    if (this.current === write) this.current = null;
    const presentationContextId = this.contexts.get(request);
    this.contexts.delete(request);
    if (!write) {
      if (this.closing) return;
      const response = responses.CStoreResponse.fromRequest(request);
      response.setStatus(CStoreStatus.CannotUnderstand);
      response.setErrorComment('the C-STORE request carried no data set');
      callback(response);
      return;
    }
    write.result.then(
      (instance) => {
        this.stored++;
        // PS3.4 B.2.3: success only now that the instance is durable.
        if (!this.closing) this.sendStoreSuccess(request, presentationContextId, callback);
        try {
          this.ctx.events.instanceStored(instance);
        } catch (e) {
          this.log.error('receive.events.failed', { error: (e as Error).message });
        }
      },
      (e: unknown) => {
        if (e instanceof LimitExceededError) return; // the association was aborted
        const answer = cStoreStatusFor(e);
        this.log.warn('receive.cstore.failed', {
          sopInstanceUid: request.getAffectedSopInstanceUid(),
          status: answer.status.toString(16).toUpperCase().padStart(4, '0'),
          errorComment: answer.errorComment,
        });
        this.ctx.audit.record({
          event: 'instance.refused',
          actor: this.peer.callingAeTitle,
          correlationId: this.ctx.associationId,
          subject: request.getAffectedSopInstanceUid(),
          detail: { status: answer.status, errorComment: answer.errorComment },
        });
        const response = responses.CStoreResponse.fromRequest(request);
        response.setStatus(answer.status);
        response.setErrorComment(answer.errorComment);
        if (!this.closing) callback(response);
      },
    );
  }

  // Services the node does not provide: PS3.7 C.5.4 0211H Unrecognized operation (fail safe).
  override cFindRequest(
    request: requests.CFindRequest,
    callback: (r: responses.CFindResponse[]) => void,
  ): void {
    callback([this.unrecognized(responses.CFindResponse.fromRequest(request))]);
  }
  override cMoveRequest(
    request: requests.CMoveRequest,
    callback: (r: responses.CMoveResponse[]) => void,
  ): void {
    callback([this.unrecognized(responses.CMoveResponse.fromRequest(request))]);
  }
  override cGetRequest(request: requests.CGetRequest, callback: (r: responses.CGetResponse[]) => void): void {
    callback([this.unrecognized(responses.CGetResponse.fromRequest(request))]);
  }
  override nCreateRequest(
    request: requests.NCreateRequest,
    callback: (r: responses.NCreateResponse) => void,
  ): void {
    callback(this.unrecognized(responses.NCreateResponse.fromRequest(request)));
  }
  override nActionRequest(
    request: requests.NActionRequest,
    callback: (r: responses.NActionResponse) => void,
  ): void {
    callback(this.unrecognized(responses.NActionResponse.fromRequest(request)));
  }
  override nDeleteRequest(
    request: requests.NDeleteRequest,
    callback: (r: responses.NDeleteResponse) => void,
  ): void {
    callback(this.unrecognized(responses.NDeleteResponse.fromRequest(request)));
  }
  override nEventReportRequest(
    request: requests.NEventReportRequest,
    callback: (r: responses.NEventReportResponse) => void,
  ): void {
    callback(this.unrecognized(responses.NEventReportResponse.fromRequest(request)));
  }
  override nGetRequest(request: requests.NGetRequest, callback: (r: responses.NGetResponse) => void): void {
    callback(this.unrecognized(responses.NGetResponse.fromRequest(request)));
  }
  override nSetRequest(request: requests.NSetRequest, callback: (r: responses.NSetResponse) => void): void {
    callback(this.unrecognized(responses.NSetResponse.fromRequest(request)));
  }
  override cCancelRequest(): void {
    // Nothing to cancel: C-STORE and C-ECHO are not cancellable (PS3.7 9.3.2.3).
  }

  /**
   * The success C-STORE-RSP (PS3.7 9.3.1.2), written as one hand-encoded P-DATA-TF PDU on the
   * socket: the same command set the library would send, without its generic encoder on the
   * acknowledgement path. Without a known presentation context the library sends it.
   */
  private sendStoreSuccess(
    request: requests.CStoreRequest,
    presentationContextId: number | undefined,
    callback: (response: responses.CStoreResponse) => void,
  ): void {
    if (presentationContextId === undefined) {
      const response = responses.CStoreResponse.fromRequest(request);
      response.setStatus(CStoreStatus.Success);
      callback(response);
      return;
    }
    this.sock.write(
      encodeCStoreResponsePdu({
        presentationContextId,
        messageIdBeingRespondedTo: request.getMessageId(),
        affectedSopClassUid: request.getAffectedSopClassUid(),
        affectedSopInstanceUid: request.getAffectedSopInstanceUid(),
        status: CStoreStatus.Success,
      }),
    );
  }

  private unrecognized<T extends responses.Response>(r: T): T {
    r.setStatus(0x0211);
    return r;
  }

  /** Pauses socket reads while the temp file has more buffered than its high-water mark. */
  private applyBackpressure(): void {
    const w = this.current;
    if (!w || this.paused || this.closing || !w.stream.writableNeedDrain) return;
    this.paused = true;
    this.sock.pause();
    w.stream.once('drain', () => {
      this.paused = false;
      if (!this.closing) this.sock.resume();
    });
  }

  /** Aborts the association (PS3.8 9.3.8) for a protocol or limit violation, and drops the socket. */
  private refuse(problem: string, detail: string, abortReason: number | null): void {
    if (this.closing) return;
    this.closing = true;
    this.sock.pause();
    this.log.warn('receive.association.refused', {
      problem,
      detail,
      callingAeTitle: this.peer.callingAeTitle,
      peerAddress: this.peer.peerAddress,
    });
    const hadAssociation = this.state !== 'connected';
    if (this.state === 'accepted' && abortReason !== null) {
      try {
        this.sendAbort(ABORT_SOURCE_PROVIDER, abortReason);
      } catch {
        // the socket may already be gone
      }
    }
    this.end(
      'association.aborted',
      { by: 'node', problem, why: detail, beforeAssociation: !hadAssociation, instancesStored: this.stored },
      true,
    );
    this.closeSoon();
  }

  /** Stops reading, lets what was written (RJ, A-ABORT) go out, and drops the connection. */
  private closeSoon(): void {
    this.closing = true;
    this.sock.pause();
    this.sock.end();
    const t = setTimeout(() => this.sock.destroy(), 2000);
    t.unref();
    this.sock.once('close', () => clearTimeout(t));
  }

  private onClose(): void {
    this.closing = true;
    if (this.state === 'accepted') {
      this.end('association.aborted', { by: 'connection-closed', instancesStored: this.stored });
    }
    for (const w of this.writes.values()) w.cancel();
    this.writes.clear();
    this.markClosed();
  }

  /** Records the end of an association once, and tells the assembler. */
  private end(event: string, detail: Record<string, unknown>, auditEvenIfNotAccepted = false): void {
    const wasAccepted = this.state === 'accepted';
    if (this.state === 'ended' || (!wasAccepted && !auditEvenIfNotAccepted)) {
      this.state = 'ended';
      return;
    }
    this.state = 'ended';
    this.ctx.registry.open.delete(this.ctx.associationId);
    if (event !== 'association.released') {
      for (const w of this.writes.values()) w.cancel();
      this.writes.clear();
    }
    this.ctx.audit.record({
      event,
      actor: this.peer.callingAeTitle || 'unknown',
      correlationId: this.ctx.associationId,
      detail: { ...detail, peerAddress: this.peer.peerAddress },
    });
    this.log.info(`receive.${event}`, detail);
    if (wasAccepted) {
      try {
        this.ctx.events.associationEnded(this.ctx.associationId);
      } catch (e) {
        this.log.error('receive.events.failed', { error: (e as Error).message });
      }
    }
  }
}
