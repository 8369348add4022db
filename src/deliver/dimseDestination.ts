import { storeFiles, NO_DIMSE_STATUS } from '../dicom/dimse';
import type { Destination, DestinationContext, OutboxItem, SendResult } from './destination';
import { loadPem } from './tlsMaterial';

const DEFAULT_DICOM_PORT = 104;

/** `dimse://AET@host:port`: the called AE title, host and port (PS3.8 7.1.1). */
export function checkDimseUrl(u: URL): string[] {
  const problems: string[] = [];
  const ae = decodeURIComponent(u.username);
  if (!ae) problems.push('dimse:// needs the called AE title: dimse://AET@host:port');
  else if (ae.length > 16 || !/^[\x20-\x5b\x5d-\x7e]+$/.test(ae))
    problems.push(`called AE title "${ae}" is not 1..16 printable characters (PS3.5 6.2 AE)`);
  if (!u.hostname) problems.push('dimse:// needs a host');
  if (u.password) problems.push('dimse:// takes no password');
  if (u.pathname && u.pathname !== '/' && u.pathname !== '')
    problems.push(`dimse:// takes no path (got "${u.pathname}")`);
  return problems;
}

/** Delivery by C-STORE SCU (PS3.4 B.2) on one association per batch; TLS when `tls` is configured. */
export function createDimseDestination(u: URL, ctx: DestinationContext): Destination {
  const calledAeTitle = decodeURIComponent(u.username);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = u.port ? Number(u.port) : DEFAULT_DICOM_PORT;
  const callingAeTitle = ctx.config.callingAeTitle ?? ctx.callingAeTitle;
  return {
    name: ctx.name,
    async send(items: readonly OutboxItem[]): Promise<SendResult[]> {
      const t = ctx.config.tls;
      const tls = t
        ? {
            ca: await loadPem(t.ca),
            cert: await loadPem(t.cert),
            key: await loadPem(t.key),
            rejectUnauthorized: t.rejectUnauthorized,
          }
        : undefined;
      const results = await storeFiles(
        items.map((i) => i.filePath),
        { host, port, calledAeTitle, callingAeTitle, tls },
      );
      return results.map((r) => ({
        statusClass: r.statusClass,
        status: r.status === NO_DIMSE_STATUS ? null : r.status,
        retryable: r.retryable,
        message: r.message,
      }));
    },
  };
}
