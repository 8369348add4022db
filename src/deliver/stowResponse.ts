import { classifyCStoreStatus, formatStatus } from '../dicom/dimse';
import type { SendResult } from './destination';

/** What an HTTP status means for the objects of a STOW-RS request that the body does not list. */
interface HttpStatusInfo {
  statusClass: 'success' | 'failure';
  retryable: boolean;
  meaning: string;
}

const HTTP_RULES: ReadonlyArray<{ from: number; to: number; info: HttpStatusInfo }> = [
  // PS3.18 10.5.3 STOW-RS response status codes.
  {
    from: 200,
    to: 200,
    info: { statusClass: 'success', retryable: false, meaning: 'OK: all instances stored' },
  },
  {
    from: 202,
    to: 202,
    info: {
      statusClass: 'failure',
      retryable: true,
      meaning: 'Accepted: some instances failed or have warnings',
    },
  },
  {
    from: 409,
    to: 409,
    info: { statusClass: 'failure', retryable: false, meaning: 'Conflict: no instance stored' },
  },
  { from: 400, to: 400, info: { statusClass: 'failure', retryable: false, meaning: 'Bad Request' } },
  {
    from: 401,
    to: 401,
    info: { statusClass: 'failure', retryable: false, meaning: 'Unauthorized: check the destination auth' },
  },
  {
    from: 403,
    to: 403,
    info: { statusClass: 'failure', retryable: false, meaning: 'Forbidden: check the destination auth' },
  },
  {
    from: 404,
    to: 404,
    info: { statusClass: 'failure', retryable: false, meaning: 'Not Found: check the destination URL path' },
  },
  { from: 408, to: 408, info: { statusClass: 'failure', retryable: true, meaning: 'Request Timeout' } },
  { from: 413, to: 413, info: { statusClass: 'failure', retryable: false, meaning: 'Payload Too Large' } },
  {
    from: 415,
    to: 415,
    info: { statusClass: 'failure', retryable: false, meaning: 'Unsupported Media Type' },
  },
  { from: 429, to: 429, info: { statusClass: 'failure', retryable: true, meaning: 'Too Many Requests' } },
  {
    from: 501,
    to: 501,
    info: { statusClass: 'failure', retryable: false, meaning: 'Not Implemented: the server has no STOW-RS' },
  },
  { from: 500, to: 599, info: { statusClass: 'failure', retryable: true, meaning: 'Server Error' } },
  { from: 201, to: 299, info: { statusClass: 'success', retryable: false, meaning: 'Success' } },
  { from: 400, to: 499, info: { statusClass: 'failure', retryable: false, meaning: 'Client Error' } },
];

/** Table-driven meaning of a STOW-RS HTTP status (PS3.18 10.5.3). */
export function classifyHttpStatus(status: number): HttpStatusInfo {
  for (const r of HTTP_RULES) if (status >= r.from && status <= r.to) return r.info;
  return { statusClass: 'failure', retryable: true, meaning: `Unexpected HTTP status ${status}` };
}

// PS3.18 10.5.3.1 Store Instances Response Module (DICOM JSON, PS3.18 F.2).
const TAG = {
  ReferencedSOPSequence: '00081199',
  FailedSOPSequence: '00081198',
  ReferencedSOPInstanceUID: '00081155',
  FailureReason: '00081197',
  WarningReason: '00081196',
} as const;

type JsonDataset = Record<string, { vr?: string; Value?: unknown[] } | undefined>;

function items(ds: JsonDataset, tag: string): JsonDataset[] {
  const v = ds[tag]?.Value;
  return Array.isArray(v) ? (v.filter((x) => x && typeof x === 'object') as JsonDataset[]) : [];
}

function first(ds: JsonDataset, tag: string): unknown {
  return ds[tag]?.Value?.[0];
}

/**
 * Per-instance results of a STOW-RS request from its HTTP status and its response data set:
 * FailedSOPSequence items are failures with their FailureReason (classified like C-STORE
 * statuses, which share the codes: PS3.18 Table 10.5.3-4 / PS3.4 B.2.3); ReferencedSOPSequence
 * items are stored, as warnings when they carry a WarningReason; instances the body does not
 * mention take the meaning of the HTTP status.
 */
export function interpretStowResponse(
  httpStatus: number,
  body: unknown,
  sopInstanceUids: readonly string[],
): SendResult[] {
  const top: unknown = Array.isArray(body) ? body[0] : body;
  const ds: JsonDataset = top && typeof top === 'object' ? (top as JsonDataset) : {};
  const failed = new Map<string, number | null>();
  for (const it of items(ds, TAG.FailedSOPSequence)) {
    const uid = String(first(it, TAG.ReferencedSOPInstanceUID) ?? '');
    const reason = first(it, TAG.FailureReason);
    if (uid) failed.set(uid, typeof reason === 'number' ? reason : null);
  }
  const stored = new Map<string, number | null>();
  for (const it of items(ds, TAG.ReferencedSOPSequence)) {
    const uid = String(first(it, TAG.ReferencedSOPInstanceUID) ?? '');
    const warning = first(it, TAG.WarningReason);
    if (uid) stored.set(uid, typeof warning === 'number' ? warning : null);
  }
  const http = classifyHttpStatus(httpStatus);
  return sopInstanceUids.map((uid): SendResult => {
    if (failed.has(uid)) {
      const reason = failed.get(uid)!;
      if (reason === null)
        return {
          statusClass: 'failure',
          status: httpStatus,
          retryable: http.retryable,
          message: `HTTP ${httpStatus}: in FailedSOPSequence without FailureReason`,
        };
      const info = classifyCStoreStatus(reason);
      return {
        statusClass: 'failure',
        status: reason,
        retryable: info.retryable,
        message: `FailureReason ${formatStatus(reason)} ${info.meaning} (HTTP ${httpStatus})`,
      };
    }
    if (stored.has(uid) && (httpStatus < 300 || httpStatus === 409)) {
      const warning = stored.get(uid)!;
      if (warning === null)
        return {
          statusClass: 'success',
          status: httpStatus,
          retryable: false,
          message: `HTTP ${httpStatus}: stored`,
        };
      return {
        statusClass: 'warning',
        status: warning,
        retryable: false,
        message: `WarningReason ${formatStatus(warning)} ${classifyCStoreStatus(warning).meaning} (HTTP ${httpStatus})`,
      };
    }
    if (http.statusClass === 'success')
      return {
        statusClass: 'success',
        status: httpStatus,
        retryable: false,
        message: `HTTP ${httpStatus}: ${http.meaning}`,
      };
    const listedElsewhere = failed.size + stored.size > 0 && httpStatus === 202;
    return {
      statusClass: 'failure',
      status: httpStatus,
      retryable: http.retryable,
      message: `HTTP ${httpStatus}: ${http.meaning}${listedElsewhere ? '; instance not listed in the response' : ''}`,
    };
  });
}
