import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

/** A listening HTTP server: the port it got and a close that waits for open requests to end. */
export interface RunningHttpServer {
  port: number;
  close(): Promise<void>;
}

/** Listens on host:port (port 0: any free port); resolves once listening. */
export function startHttpServer(app: Express, host: string, port: number): Promise<RunningHttpServer> {
  return new Promise((resolve, reject) => {
    const server = http.createServer(app);
    server.requestTimeout = 0; // STOW-RS uploads of large studies may take long
    server.keepAliveTimeout = 5000;
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((res, rej) => {
            server.close((e) => (e ? rej(e) : res()));
            server.closeIdleConnections();
          }),
      });
    });
  });
}
