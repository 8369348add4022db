import type { Socket } from 'node:net';
import {
  CommandField,
  NO_DATA_SET,
  decodeCommand,
  encodeResponse,
  type DecodedCommand,
} from '../dicom/dimse/commandSet';
import {
  PduType,
  decodeAbort,
  decodeAssociateRq,
  encodeAbort,
  encodeAssociateAc,
  encodeAssociateRj,
  encodeMessagePdus,
  encodeReleaseRp,
} from '../dicom/dimse/pdu';
import { isStorageSopClass } from '../dicom/sopClass';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../dicom/uid';
import type { Logger } from '../logging/logger';
import type { AuditSink } from '../pipeline/audit';
import { LimitExceededError } from '../pipeline/errors';
import type { PeerInfo } from '../pipeline/types';
import { normalizeAddress } from './addressMatches';
import { evaluateAssociationRequest, type AssociationPolicy } from './associationPolicy';
import { CStoreStatus, cStoreStatusFor } from './cStoreStatusFor';
import { ContextResult, negotiatePresentationContexts } from './negotiatePresentationContexts';
import { PduParser } from './pduParser';
import type { DimseLimits, InstanceSink, SeriesEvents } from './types';

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

/** PS3.8 9.2: awaiting A-ASSOCIATE-RQ, established, release requested, over. */
type State = 'connected' | 'accepted' | 'releasing' | 'ended';

/** PS3.8 9.3.8 A-ABORT: source 2 service-provider; reasons 0 not specified, 1 unrecognized PDU, 2 unexpected PDU, 6 invalid PDU parameter. */
const ABORT_SOURCE_PROVIDER = 2;
const ABORT_REASON_NOT_SPECIFIED = 0;
const ABORT_REASON_UNRECOGNIZED_PDU = 1;
const ABORT_REASON_UNEXPECTED_PDU = 2;
const ABORT_REASON_INVALID_PARAMETER = 6;

/** PS3.7 C.5.4: Unrecognized Operation. */
const STATUS_UNRECOGNIZED_OPERATION = 0x0211;
/** A command set is a few hundred bytes (PS3.7 E.1); more than this is not one. */
const MAX_COMMAND_BYTES = 64 * 1024;
/**
 * Data set fragments smaller than this are copied into a staging buffer of STAGING_BYTES and
 * written together, so that a peer sending tiny PDVs cannot make the file writer hold one
 * buffer entry per few bytes (memory per association stays bounded).
 */
const SMALL_FRAGMENT = 8 * 1024;
const STAGING_BYTES = 64 * 1024;

/** An accepted presentation context (PS3.8 9.3.3.2). */
interface AcceptedContext {
  abstractSyntaxUid: string;
  transferSyntaxUid: string;
}

/** The data set being received for the last command (PS3.7 6.3.1: it follows its command). */
interface IncomingDataSet {
  contextId: number;
  command: DecodedCommand;
  /** The C-STORE write; null for the data set of a request the node does not serve (dropped). */
  write: InstanceWrite | null;
  bytes: number;
}

/**
 * The node's DIMSE SCP on one connection (PS3.8 upper layer, PS3.7 DIMSE), on our own PDU layer:
 * association policy and presentation context negotiation, C-ECHO (PS3.7 9.1.5) and C-STORE
 * (PS3.7 9.1.1) streamed from the socket to the store, answered with success only once the
 * store resolved (PS3.4 B.2.3). Every other request gets 0211H Unrecognized Operation. PDU
 * headers are checked before any body is kept; socket reads pause while the temp file catches up.
 */
export class NodeScp {
  private state: State = 'connected';
  private readonly log: Logger;
  private readonly parser: PduParser;
  private readonly contexts = new Map<number, AcceptedContext>();
  /** The peer's Maximum Length Received (PS3.8 D.1); 0 is no limit. */
  private peerMaxPduLength = 0;
  /** The command set being received, fragments copied in (allocated on the first command). */
  private command: Buffer | null = null;
  private commandBytes = 0;
  private commandContextId = -1;
  /** Small data set fragments waiting to be written together. */
  private staging: Buffer | null = null;
  private stagingBytes = 0;
  private incoming: IncomingDataSet | null = null;
  /** Operations whose response is not sent yet; A-RELEASE-RP waits for them. */
  private readonly pending = new Set<Promise<void>>();
  private paused = false;
  private closing = false;
  private stored = 0;
  private peer: PeerInfo;
  private markClosed: () => void = () => undefined;
  /** Resolves once the connection closed and its end was recorded (audit, assembler). */
  readonly closed: Promise<void> = new Promise((resolve) => (this.markClosed = resolve));

  constructor(
    private readonly sock: Socket,
    private readonly ctx: ScpContext,
  ) {
    this.log = ctx.logger.child({ associationId: ctx.associationId });
    this.peer = {
      callingAeTitle: '',
      calledAeTitle: '',
      peerAddress: normalizeAddress(sock.remoteAddress ?? ''),
      associationId: ctx.associationId,
    };
    sock.setNoDelay(true);
    // PS3.8 9.1.4 ARTIM: the A-ASSOCIATE-RQ must come within the association timeout.
    sock.setTimeout(ctx.limits.associationTimeoutMs);
    this.parser = new PduParser(ctx.limits.maxPduLength, {
      pdu: (type, body) => this.onPdu(type, body),
      pdvData: (contextId, isCommand, data) => this.onPdvData(contextId, isCommand, data),
      pdvEnd: (contextId, isCommand, isLast) => this.onPdvEnd(contextId, isCommand, isLast),
    });
    sock.on('data', (chunk: Buffer) => {
      if (this.closing) return;
      const v = this.parser.feed(chunk);
      if (v) {
        this.refuse(
          v.problem,
          v.detail,
          v.problem === 'unknown-pdu-type' ? ABORT_REASON_UNRECOGNIZED_PDU : ABORT_REASON_INVALID_PARAMETER,
        );
        return;
      }
      this.applyBackpressure();
    });
    sock.on('timeout', () => {
      if (this.state === 'connected') {
        this.refuse('timeout', `no A-ASSOCIATE-RQ within ${ctx.limits.associationTimeoutMs / 1000} s`, null);
      } else {
        this.refuse('timeout', `no PDU for ${ctx.limits.idleTimeoutMs / 1000} s`, ABORT_REASON_NOT_SPECIFIED);
      }
    });
    sock.on('error', (e: Error) => this.refuse('network-error', e.message, null));
    sock.on('close', () => this.onClose());
  }

  // ---- PDUs other than P-DATA-TF (PS3.8 9.3) ----

  private onPdu(type: number, body: Buffer): void {
    switch (type) {
      case PduType.AssociateRq:
        return this.associationRequested(body);
      case PduType.ReleaseRq:
        if (this.state !== 'accepted' || this.incoming || this.commandBytes > 0) {
          return this.unexpected('A-RELEASE-RQ outside an established association or inside a message');
        }
        return this.releaseRequested();
      case PduType.Abort: {
        const { source, reason } = decodeAbort(body);
        return this.abortedByPeer(source, reason);
      }
      default:
        // A-ASSOCIATE-AC/RJ and A-RELEASE-RP are answers to requests an SCP never makes.
        return this.unexpected(`PDU type 0x${type.toString(16).padStart(2, '0')} sent to an SCP`);
    }
  }

  private associationRequested(body: Buffer): void {
    if (this.state !== 'connected') {
      // PS3.8 9.3.8: an A-ASSOCIATE-RQ on an established association is an unexpected PDU.
      return this.unexpected('A-ASSOCIATE-RQ on an established association');
    }
    let rq: ReturnType<typeof decodeAssociateRq>;
    try {
      rq = decodeAssociateRq(body);
    } catch (e) {
      return this.refuse('malformed-pdu', (e as Error).message, ABORT_REASON_INVALID_PARAMETER);
    }
    this.peer = { ...this.peer, callingAeTitle: rq.callingAeTitle, calledAeTitle: rq.calledAeTitle };
    const rejection = evaluateAssociationRequest(
      {
        ...this.peer,
        activeAssociations: this.ctx.registry.open.size,
        protocolVersion: rq.protocolVersion,
        applicationContextName: rq.applicationContextName,
      },
      this.ctx.policy,
    );
    if (rejection) {
      this.sock.write(
        encodeAssociateRj({ result: rejection.result, source: rejection.source, reason: rejection.reason }),
      );
      this.ctx.onRejected?.(rejection.reasonName);
      this.state = 'ended';
      this.closing = true;
      this.parser.stop();
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
    const decisions = negotiatePresentationContexts(
      rq.contexts.map((pc) => ({
        id: pc.id,
        abstractSyntaxUid: pc.abstractSyntax,
        transferSyntaxUids: pc.transferSyntaxes,
      })),
    );
    for (const d of decisions) {
      if (d.result === ContextResult.Acceptance && d.transferSyntaxUid) {
        this.contexts.set(d.id, {
          abstractSyntaxUid: d.abstractSyntaxUid,
          transferSyntaxUid: d.transferSyntaxUid,
        });
      }
    }
    this.peerMaxPduLength = rq.maxPduLength;
    this.sock.write(
      encodeAssociateAc({
        calledAeTitle: rq.calledAeTitle,
        callingAeTitle: rq.callingAeTitle,
        contexts: decisions.map((d, i) => ({
          id: d.id,
          result: d.result,
          // Not significant unless accepted (PS3.8 9.3.3.2); echo the first one proposed.
          transferSyntax: d.transferSyntaxUid ?? rq.contexts[i]?.transferSyntaxes[0] ?? '',
        })),
        // PS3.8 D.1: the maximum length we are able to receive.
        maxPduLength: this.ctx.limits.maxPduLength,
        implementationClassUid: IMPLEMENTATION_CLASS_UID,
        implementationVersionName: IMPLEMENTATION_VERSION_NAME,
      }),
    );
    this.state = 'accepted';
    this.sock.setTimeout(this.ctx.limits.idleTimeoutMs);
    this.ctx.registry.open.add(this.ctx.associationId);
    const accepted = this.contexts.size;
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

  /** PS3.8 7.2: A-RELEASE-RP once every operation in flight has been answered. */
  private releaseRequested(): void {
    this.state = 'releasing';
    this.parser.stop();
    void Promise.all([...this.pending]).then(() => {
      if (this.closing) return;
      this.sock.write(encodeReleaseRp());
      this.end('association.released', { instancesStored: this.stored });
      this.closeSoon();
    });
  }

  private abortedByPeer(source: number, reason: number): void {
    this.closing = true;
    this.parser.stop();
    this.end('association.aborted', {
      by: 'peer',
      abortSource: source,
      abortReason: reason,
      instancesStored: this.stored,
    });
    this.sock.destroy();
  }

  // ---- P-DATA-TF: command and data set fragments (PS3.8 9.3.5, PS3.7 6.3.1) ----

  private onPdvData(contextId: number, isCommand: boolean, data: Buffer): void {
    if (this.state !== 'accepted') return this.unexpected('P-DATA-TF outside an established association');
    if (isCommand) {
      if (this.incoming) return this.unexpected('a command fragment before the last data set fragment');
      if (!this.contexts.has(contextId)) {
        return this.unexpected(`a command on presentation context ${contextId}, which was not accepted`);
      }
      if (this.commandBytes > 0 && contextId !== this.commandContextId) {
        return this.unexpected('command fragments on two presentation contexts');
      }
      this.commandContextId = contextId;
      if (this.commandBytes + data.length > MAX_COMMAND_BYTES) {
        return this.refuse(
          'message-too-large',
          `a command set longer than ${MAX_COMMAND_BYTES} bytes`,
          ABORT_REASON_INVALID_PARAMETER,
        );
      }
      this.command ??= Buffer.alloc(MAX_COMMAND_BYTES);
      data.copy(this.command, this.commandBytes);
      this.commandBytes += data.length;
      return;
    }
    const incoming = this.incoming;
    if (!incoming) return this.unexpected('a data set fragment with no command announcing one');
    if (contextId !== incoming.contextId) {
      return this.unexpected('a data set fragment on another presentation context than its command');
    }
    incoming.bytes += data.length;
    if (incoming.write) {
      // The writer enforces maxMessageBytes.
      if (data.length < SMALL_FRAGMENT) {
        if (this.stagingBytes + data.length > STAGING_BYTES) this.flushStaging(incoming.write);
        this.staging ??= Buffer.allocUnsafe(STAGING_BYTES);
        data.copy(this.staging, this.stagingBytes);
        this.stagingBytes += data.length;
      } else {
        this.flushStaging(incoming.write);
        // A view into the received chunk, written as it is (no copy).
        incoming.write.stream.write(data);
      }
    } else if (incoming.bytes > this.ctx.limits.maxMessageBytes) {
      this.refuse(
        'message-too-large',
        `the data set exceeds the limit of ${this.ctx.limits.maxMessageBytes} bytes`,
        ABORT_REASON_NOT_SPECIFIED,
      );
    }
  }

  private onPdvEnd(contextId: number, isCommand: boolean, isLast: boolean): void {
    if (this.closing || !isLast) return;
    if (this.state !== 'accepted') return this.unexpected('P-DATA-TF outside an established association');
    if (isCommand) {
      const length = this.commandBytes;
      this.commandBytes = 0;
      this.commandContextId = -1;
      if (length === 0 || !this.command) return this.unexpected('an empty command set');
      // decodeCommand keeps numbers and strings only, so the buffer is free for the next command.
      this.commandReceived(contextId, decodeCommand(this.command.subarray(0, length)));
      return;
    }
    const incoming = this.incoming;
    if (!incoming) return this.unexpected('a data set fragment with no command announcing one');
    if (contextId !== incoming.contextId) {
      return this.unexpected('a data set fragment on another presentation context than its command');
    }
    this.incoming = null;
    this.dataSetReceived(incoming);
  }

  /** Hands the staged small fragments to the writer (the staging buffer goes with them). */
  private flushStaging(write: InstanceWrite): void {
    if (this.stagingBytes === 0 || !this.staging) return;
    write.stream.write(this.staging.subarray(0, this.stagingBytes));
    this.staging = null;
    this.stagingBytes = 0;
  }

  /** PS3.7 9.3 and 10.3: one request, from its command set. */
  private commandReceived(contextId: number, command: DecodedCommand): void {
    const field = command.commandField;
    const hasDataSet = command.commandDataSetType !== null && command.commandDataSetType !== NO_DATA_SET;
    if (field < 0 || (command.messageId === null && field !== CommandField.CCancelRq)) {
      return this.refuse(
        'malformed-command',
        'a command set without Command Field or Message ID',
        ABORT_REASON_INVALID_PARAMETER,
      );
    }
    if (field & 0x8000) return this.unexpected('a DIMSE response sent to an SCP');
    if (field === CommandField.CCancelRq) return; // nothing cancellable here (PS3.7 9.3.2.3)
    const context = this.contexts.get(contextId)!;
    if (field === CommandField.CStoreRq) {
      if (!isStorageSopClass(context.abstractSyntaxUid)) {
        // A C-STORE on a context that is not a storage context (PS3.7 9.1.1): never stored.
        return this.unexpected('a C-STORE on a presentation context that is not a storage context');
      }
      if (!hasDataSet) {
        this.respond(
          contextId,
          command,
          CStoreStatus.CannotUnderstand,
          'the C-STORE request carried no data set',
        );
        return;
      }
      const write = this.ctx.sink.storeStream({
        sopClassUid: command.affectedSopClassUid,
        sopInstanceUid: command.affectedSopInstanceUid,
        transferSyntaxUid: context.transferSyntaxUid,
        peer: this.peer,
        source: 'dimse',
        onLimitExceeded: (e) => this.refuse('message-too-large', e.message, ABORT_REASON_NOT_SPECIFIED),
      });
      this.incoming = { contextId, command, write, bytes: 0 };
      return;
    }
    if (field === CommandField.CEchoRq && !hasDataSet) {
      this.log.debug('receive.echo', {});
      // PS3.7 9.1.5 C-ECHO: success.
      this.respond(contextId, command, 0x0000);
      return;
    }
    // Services the node does not provide: PS3.7 C.5.4 0211H Unrecognized operation (fail safe),
    // after the data set (read and dropped) when one follows.
    if (hasDataSet) this.incoming = { contextId, command, write: null, bytes: 0 };
    else this.respond(contextId, command, STATUS_UNRECOGNIZED_OPERATION);
  }

  private dataSetReceived(incoming: IncomingDataSet): void {
    const { contextId, command, write } = incoming;
    if (!write) {
      this.respond(contextId, command, STATUS_UNRECOGNIZED_OPERATION);
      return;
    }
    this.flushStaging(write);
    write.stream.end();
    const answered = write.result.then(
      (instance) => {
        this.stored++;
        // PS3.4 B.2.3: success only now that the instance is durable.
        this.respond(contextId, command, CStoreStatus.Success);
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
          sopInstanceUid: command.affectedSopInstanceUid,
          status: answer.status.toString(16).toUpperCase().padStart(4, '0'),
          errorComment: answer.errorComment,
        });
        this.ctx.audit.record({
          event: 'instance.refused',
          actor: this.peer.callingAeTitle,
          correlationId: this.ctx.associationId,
          subject: command.affectedSopInstanceUid,
          detail: { status: answer.status, errorComment: answer.errorComment },
        });
        this.respond(contextId, command, answer.status, answer.errorComment);
      },
    );
    this.pending.add(answered);
    void answered.finally(() => this.pending.delete(answered));
  }

  /** The response to a request (PS3.7 9.3, 10.3), in P-DATA-TF PDUs within the peer's maximum. */
  private respond(contextId: number, request: DecodedCommand, status: number, errorComment?: string): void {
    if (this.closing) return;
    const command = encodeResponse({
      commandField: request.commandField | 0x8000,
      messageIdBeingRespondedTo: request.messageId ?? 0,
      status,
      affectedSopClassUid: request.affectedSopClassUid || this.contexts.get(contextId)?.abstractSyntaxUid,
      affectedSopInstanceUid: request.affectedSopInstanceUid || undefined,
      errorComment,
    });
    this.sock.write(encodeMessagePdus(contextId, true, command, this.peerMaxPduLength));
  }

  // ---- flow control, errors and the end of the association ----

  /** Pauses socket reads while the temp file has more buffered than its high-water mark. */
  private applyBackpressure(): void {
    const w = this.incoming?.write;
    if (!w || this.paused || this.closing || !w.stream.writableNeedDrain) return;
    this.paused = true;
    this.sock.pause();
    w.stream.once('drain', () => {
      this.paused = false;
      if (!this.closing) this.sock.resume();
    });
  }

  private unexpected(detail: string): void {
    this.refuse('unexpected-pdu', detail, ABORT_REASON_UNEXPECTED_PDU);
  }

  /** Aborts the association (PS3.8 9.3.8) for a protocol or limit violation, and drops the socket. */
  private refuse(problem: string, detail: string, abortReason: number | null): void {
    if (this.closing) return;
    this.closing = true;
    this.parser.stop();
    this.sock.pause();
    this.log.warn('receive.association.refused', {
      problem,
      detail,
      callingAeTitle: this.peer.callingAeTitle,
      peerAddress: this.peer.peerAddress,
    });
    const hadAssociation = this.state !== 'connected';
    if (abortReason !== null && !this.sock.destroyed) {
      // PS3.8 9.2 state table AA-1 / AA-8: A-ABORT from the service provider, then close.
      this.sock.write(encodeAbort(ABORT_SOURCE_PROVIDER, abortReason));
    }
    this.end(
      'association.aborted',
      { by: 'node', problem, why: detail, beforeAssociation: !hadAssociation, instancesStored: this.stored },
      true,
    );
    this.closeSoon();
  }

  /** Stops reading, lets what was written (RJ, RP, A-ABORT) go out, and drops the connection. */
  private closeSoon(): void {
    this.closing = true;
    this.parser.stop();
    this.sock.pause();
    this.sock.end();
    const t = setTimeout(() => this.sock.destroy(), 2000);
    t.unref();
    this.sock.once('close', () => clearTimeout(t));
  }

  private onClose(): void {
    this.closing = true;
    this.parser.stop();
    if (this.state === 'accepted' || this.state === 'releasing') {
      this.end('association.aborted', { by: 'connection-closed', instancesStored: this.stored });
    }
    this.incoming?.write?.cancel();
    this.incoming = null;
    this.staging = null;
    this.stagingBytes = 0;
    this.markClosed();
  }

  /** Records the end of an association once, and tells the assembler. */
  private end(event: string, detail: Record<string, unknown>, auditEvenIfNotAccepted = false): void {
    const wasAccepted = this.state === 'accepted' || this.state === 'releasing';
    if (this.state === 'ended' || (!wasAccepted && !auditEvenIfNotAccepted)) {
      this.state = 'ended';
      return;
    }
    this.state = 'ended';
    this.ctx.registry.open.delete(this.ctx.associationId);
    if (event !== 'association.released') {
      this.incoming?.write?.cancel();
      this.incoming = null;
      this.staging = null;
      this.stagingBytes = 0;
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
