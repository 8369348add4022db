import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { NodeConfig } from '../config/nodeConfigSchema';
import type { Logger } from '../logging/logger';
import type { AuditSink } from '../pipeline/audit';
import { NodeScp, type AssociationRegistry } from './nodeScp';
import type { InstanceSink, SeriesEvents } from './types';

/** Everything the DIMSE server needs, injected by src/app.ts. */
export interface DimseServerOptions {
  config: Pick<NodeConfig, 'aeTitle' | 'aliasAeTitles' | 'allowedPeers' | 'dimse'>;
  sink: InstanceSink;
  events: SeriesEvents;
  audit: AuditSink;
  logger: Logger;
  /** Told of each rejected association request, with the reason's name (metrics). */
  onRejected?: (reason: string) => void;
}

/** Extra connections tolerated above maxAssociations, so they can be answered with A-ASSOCIATE-RJ. */
const CONNECTION_HEADROOM = 8;

/**
 * The DIMSE listener (PS3.8): one NodeScp per connection, over TCP or TLS (config.dimse.tls).
 * Built on node's own net/tls server so the bind address, port 0 and shutdown are under our
 * control; the PDUs are ours (src/dicom/dimse/pdu.ts, ./pduParser.ts).
 */
export class DimseServer {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private readonly scps = new Set<NodeScp>();
  private readonly registry: AssociationRegistry = { open: new Set() };

  constructor(private readonly opts: DimseServerOptions) {}

  /** Number of associations accepted and still open. */
  openAssociations(): number {
    return this.registry.open.size;
  }

  /** Starts listening; resolves with the bound port (config port 0 picks a free one). */
  listen(): Promise<{ port: number }> {
    const { config, logger } = this.opts;
    const d = config.dimse;
    const useTls = d.tls.enabled;
    const onConnection = (socket: net.Socket): void => this.accept(socket, useTls);
    const server = useTls
      ? tls.createServer(
          {
            key: d.tls.key ? fs.readFileSync(d.tls.key) : undefined,
            cert: d.tls.cert ? fs.readFileSync(d.tls.cert) : undefined,
            ca: d.tls.ca ? fs.readFileSync(d.tls.ca) : undefined,
            requestCert: d.tls.requestCert,
            rejectUnauthorized: d.tls.requestCert,
            minVersion: 'TLSv1.2',
          },
          onConnection,
        )
      : net.createServer(onConnection);
    server.maxConnections = d.maxAssociations + CONNECTION_HEADROOM;
    this.server = server;
    server.on('error', (e) => logger.error('receive.server.error', { error: e.message }));
    if (useTls) {
      server.on('tlsClientError', (e) => logger.warn('receive.tls.failed', { error: e.message }));
    }
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(d.port, d.host, () => {
        server.off('error', reject);
        const addr = server.address();
        const port = typeof addr === 'object' && addr ? addr.port : d.port;
        logger.info('receive.listening', { port, host: d.host, tls: useTls, aeTitle: config.aeTitle });
        resolve({ port });
      });
    });
  }

  /** Stops listening and drops every open connection (their temp files are removed). */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
    // Each SCP records its end (audit, assembler) before the caller closes the database.
    await Promise.all([...this.scps].map((scp) => scp.closed));
  }

  private accept(socket: net.Socket, useTls: boolean): void {
    const { config, sink, events, audit, logger } = this.opts;
    const d = config.dimse;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined); // reported by the SCP as a network error
    const associationId = crypto.randomUUID();
    logger.debug('receive.connection', { associationId, peerAddress: socket.remoteAddress });
    const scp = new NodeScp(socket, {
      associationId,
      policy: {
        aeTitles: [config.aeTitle, ...config.aliasAeTitles],
        allowedPeers: config.allowedPeers,
        maxAssociations: d.maxAssociations,
      },
      limits: {
        maxPduLength: d.maxPduLength,
        maxMessageBytes: d.maxMessageBytes,
        maxAssociations: d.maxAssociations,
        idleTimeoutMs: d.idleTimeoutSeconds * 1000,
        associationTimeoutMs: d.associationTimeoutSeconds * 1000,
      },
      sink,
      events,
      audit,
      logger,
      registry: this.registry,
      tls: useTls,
      onRejected: this.opts.onRejected,
    });
    this.scps.add(scp);
    void scp.closed.then(() => this.scps.delete(scp));
  }
}
