import fs from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import { DeliveryError } from '../../pipeline/errors';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../uid';
import { decodeCommand, encodeCStoreRq, type DecodedCommand } from './commandSet';
import {
  decodeAbort,
  decodeAssociateAc,
  decodeAssociateRj,
  decodePDataTf,
  encodeAbort,
  encodeAssociateRq,
  encodePDataTf,
  encodeReleaseRq,
  PduReader,
  PduType,
  type AcceptedContext,
  type ProposedContext,
  type RawPdu,
} from './pdu';

/** TLS settings of an SCU connection (PS3.15 B.1 Secure Transport Connection Profile). */
export interface ScuTlsOptions {
  /** PEM text of the CA certificate(s) that sign the peer. */
  ca?: string | Buffer;
  /** PEM text of our client certificate and key (mutual TLS). */
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface ScuAssociationOptions {
  host: string;
  port: number;
  calledAeTitle: string;
  callingAeTitle: string;
  contexts: ProposedContext[];
  tls?: ScuTlsOptions;
  /** Connect, association, and per-response timeout; default 30 s. */
  timeoutMs?: number;
  /** The Maximum Length Received we advertise and the largest fragment we send; default 64 KiB. */
  maxPduLength?: number;
}

/** Bytes of a data set to send: a slice of a file, streamed, or bytes in memory. */
export type DatasetSource = { file: string; offset: number; size: number } | { bytes: Buffer };

const DEFAULT_TIMEOUT_MS = 30000;
const DEFAULT_MAX_PDU = 64 * 1024;

/**
 * One association opened by us as SCU (PS3.8 7.1): TCP (or TLS) with Nagle off, A-ASSOCIATE
 * negotiation, synchronous C-STORE operations, and A-RELEASE. Every failure is a DeliveryError
 * with `retryable` set: rejected-transient, aborts, timeouts and network errors are retryable;
 * rejected-permanent is not.
 */
export class ScuAssociation {
  private readonly reader = new PduReader();
  private readonly queue: RawPdu[] = [];
  private waiter: ((e?: Error) => void) | undefined;
  private failure: Error | undefined;
  private closed = false;
  private messageId = 0;
  /** The accepted presentation contexts, by id. */
  readonly accepted = new Map<number, AcceptedContext>();
  /** Largest PDV data fragment we send. */
  private fragmentSize = DEFAULT_MAX_PDU - 6;

  private constructor(
    private readonly socket: net.Socket,
    private readonly timeoutMs: number,
  ) {
    socket.on('data', (chunk: Buffer) => {
      try {
        this.queue.push(...this.reader.push(chunk));
      } catch (e) {
        this.fail(new DeliveryError(`protocol error from peer: ${(e as Error).message}`, true));
        socket.destroy();
        return;
      }
      this.wake();
    });
    socket.on('error', (e) =>
      this.fail(new DeliveryError(`network error: ${e.message}`, true, { cause: e })),
    );
    socket.on('close', () => {
      this.closed = true;
      this.fail(new DeliveryError('connection closed by peer', true));
    });
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Connects and negotiates; resolves once the peer accepted the association. */
  static async open(opts: ScuAssociationOptions): Promise<ScuAssociation> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const maxPdu = opts.maxPduLength ?? DEFAULT_MAX_PDU;
    const socket = await connect(opts, timeoutMs);
    const a = new ScuAssociation(socket, timeoutMs);
    try {
      await a.write(
        encodeAssociateRq({
          calledAeTitle: opts.calledAeTitle,
          callingAeTitle: opts.callingAeTitle,
          contexts: opts.contexts,
          maxPduLength: maxPdu,
          implementationClassUid: IMPLEMENTATION_CLASS_UID,
          implementationVersionName: IMPLEMENTATION_VERSION_NAME,
        }),
      );
      const reply = await a.nextPdu('A-ASSOCIATE response');
      if (reply.type === PduType.AssociateRj) {
        const rj = decodeAssociateRj(reply.body);
        // PS3.8 9.3.4: result 1 rejected-permanent, 2 rejected-transient.
        throw new DeliveryError(
          `association rejected (${rj.result === 1 ? 'permanent' : 'transient'}, source ${rj.source}, reason ${rj.reason})`,
          rj.result !== 1,
        );
      }
      if (reply.type === PduType.Abort) {
        const ab = decodeAbort(reply.body);
        throw new DeliveryError(
          `association aborted by peer (source ${ab.source}, reason ${ab.reason})`,
          true,
        );
      }
      if (reply.type !== PduType.AssociateAc)
        throw new DeliveryError(`unexpected PDU type ${reply.type} instead of A-ASSOCIATE-AC`, true);
      const ac = decodeAssociateAc(reply.body);
      for (const c of ac.contexts) if (c.result === 0) a.accepted.set(c.id, c);
      // PS3.8 D.1: the peer's Maximum Length Received bounds our P-DATA-TF variable field (0 = none).
      const peerMax = ac.maxPduLength === 0 ? maxPdu : Math.min(ac.maxPduLength, maxPdu);
      a.fragmentSize = Math.max(1024, peerMax) - 6;
      return a;
    } catch (e) {
      a.abort();
      throw e;
    }
  }

  private async write(buf: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.socket.write(buf)) return;
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        if (this.failure) reject(this.failure);
        else resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  private async nextPdu(what: string): Promise<RawPdu> {
    for (;;) {
      const next = this.queue.shift();
      if (next) return next;
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.fail(new DeliveryError(`timed out after ${this.timeoutMs} ms waiting for ${what}`, true));
        }, this.timeoutMs);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  /**
   * Sends one C-STORE-RQ with its data set on an accepted presentation context and resolves
   * with the C-STORE-RSP command (PS3.7 9.3.1). The data set is streamed in fragments.
   */
  async cStore(
    contextId: number,
    sopClassUid: string,
    sopInstanceUid: string,
    data: DatasetSource,
  ): Promise<DecodedCommand> {
    this.messageId = (this.messageId % 0xffff) + 1;
    const messageId = this.messageId;
    await this.write(
      encodePDataTf({
        contextId,
        isCommand: true,
        isLast: true,
        data: encodeCStoreRq({ messageId, sopClassUid, sopInstanceUid }),
      }),
    );
    if ('bytes' in data) {
      await this.sendBytes(contextId, data.bytes);
    } else {
      await this.sendFile(contextId, data.file, data.offset, data.size);
    }
    const parts: Buffer[] = [];
    for (;;) {
      const pdu = await this.nextPdu('C-STORE-RSP');
      if (pdu.type === PduType.Abort) {
        const ab = decodeAbort(pdu.body);
        throw new DeliveryError(
          `association aborted by peer (source ${ab.source}, reason ${ab.reason})`,
          true,
        );
      }
      if (pdu.type !== PduType.PDataTf)
        throw new DeliveryError(`unexpected PDU type ${pdu.type} while waiting for C-STORE-RSP`, true);
      for (const pdv of decodePDataTf(pdu.body)) {
        if (!pdv.isCommand) continue;
        parts.push(pdv.data);
        if (pdv.isLast) {
          const rsp = decodeCommand(Buffer.concat(parts));
          if (rsp.messageIdBeingRespondedTo !== null && rsp.messageIdBeingRespondedTo !== messageId) {
            throw new DeliveryError(
              `C-STORE-RSP answers message ${rsp.messageIdBeingRespondedTo}, expected ${messageId}`,
              true,
            );
          }
          return rsp;
        }
      }
    }
  }

  private async sendBytes(contextId: number, bytes: Buffer): Promise<void> {
    let p = 0;
    do {
      const n = Math.min(this.fragmentSize, bytes.length - p);
      await this.write(
        encodePDataTf({
          contextId,
          isCommand: false,
          isLast: p + n >= bytes.length,
          data: bytes.subarray(p, p + n),
        }),
      );
      p += n;
    } while (p < bytes.length);
  }

  private async sendFile(contextId: number, file: string, offset: number, size: number): Promise<void> {
    const fh = await fs.open(file, 'r');
    try {
      let p = offset;
      do {
        const n = Math.min(this.fragmentSize, size - p);
        const chunk = Buffer.allocUnsafe(n);
        const { bytesRead } = await fh.read(chunk, 0, n, p);
        if (bytesRead !== n) throw new DeliveryError(`file changed while sending (short read at ${p})`, true);
        p += n;
        await this.write(encodePDataTf({ contextId, isCommand: false, isLast: p >= size, data: chunk }));
      } while (p < size);
    } finally {
      await fh.close();
    }
  }

  /** PS3.8 7.2 A-RELEASE: asks the peer to release and waits for the reply (bounded). */
  async release(): Promise<void> {
    try {
      await this.write(encodeReleaseRq());
      for (;;) {
        const pdu = await this.nextPdu('A-RELEASE-RP');
        if (pdu.type === PduType.ReleaseRp || pdu.type === PduType.Abort) break;
      }
    } catch {
      // The peer closing instead of answering still ends the association.
    } finally {
      this.socket.end();
      this.socket.destroy();
    }
  }

  /** PS3.8 7.3 A-ABORT and close. */
  abort(): void {
    if (!this.closed && !this.socket.destroyed) {
      try {
        this.socket.write(encodeAbort());
      } catch {
        // already broken
      }
    }
    this.socket.destroy();
  }
}

function connect(opts: ScuAssociationOptions, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket: net.Socket = opts.tls
      ? tls.connect({
          host: opts.host,
          port: opts.port,
          ca: opts.tls.ca,
          cert: opts.tls.cert,
          key: opts.tls.key,
          rejectUnauthorized: opts.tls.rejectUnauthorized ?? true,
          servername: opts.tls.servername ?? (net.isIP(opts.host) ? undefined : opts.host),
        })
      : net.connect({ host: opts.host, port: opts.port });
    // DICOM exchanges many small PDUs; Nagle's algorithm stalls them (PS3.8 does not care, peers do).
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new DeliveryError(`could not connect to ${opts.host}:${opts.port} within ${timeoutMs} ms`, true),
      );
    }, timeoutMs);
    const ok = (): void => {
      clearTimeout(timer);
      socket.off('error', bad);
      resolve(socket);
    };
    const bad = (e: Error): void => {
      clearTimeout(timer);
      const authFailure =
        opts.tls !== undefined &&
        /certificate|self.signed|CERT_|handshake/i.test(
          `${e.message} ${(e as NodeJS.ErrnoException).code ?? ''}`,
        );
      reject(
        new DeliveryError(
          `could not connect to ${opts.host}:${opts.port}: ${(e as NodeJS.ErrnoException).code ?? e.message}`,
          !authFailure,
          { cause: e },
        ),
      );
    };
    socket.once(opts.tls ? 'secureConnect' : 'connect', ok);
    socket.once('error', bad);
  });
}
