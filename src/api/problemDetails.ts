import type { ErrorRequestHandler } from 'express';
import { ZodError } from 'zod';
import { formatIssues, NodeError, type ErrorCode } from '../pipeline/errors';
import type { Logger } from '../logging/logger';

/** An RFC 9457 problem details object, with the node's error code and details as extensions. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  errors?: readonly string[];
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  CONFIG_INVALID: 400,
  RULES_INVALID: 422,
  MANIFEST_INVALID: 422,
  DATASET_INVALID: 400,
  SOP_CLASS_NOT_SUPPORTED: 415,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  PEER_NOT_ALLOWED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_STATE_TRANSITION: 409,
  LIMIT_EXCEEDED: 413,
  OUT_OF_RESOURCES: 507,
  MODEL_UNAVAILABLE: 503,
  TIMEOUT: 504,
  DECODE_FAILED: 422,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  507: 'Insufficient Storage',
};

/** The HTTP status of a NodeError code (500 for anything unexpected). */
export function httpStatusOf(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}

/** `NOT_FOUND` → `urn:pacs-ai-node:problem:not-found`. */
export function problemType(code: string): string {
  return `urn:pacs-ai-node:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

/** Builds the problem details of any thrown value; internal errors keep their message out. */
export function toProblem(err: unknown, instance: string): ProblemDetails {
  if (err instanceof ZodError) {
    const errors = formatIssues(err.issues);
    return {
      type: problemType('BAD_REQUEST'),
      title: TITLES[400]!,
      status: 400,
      detail: `invalid request: ${errors.join('; ')}`,
      instance,
      code: 'BAD_REQUEST',
      errors,
    };
  }
  if (err instanceof HttpStatusError) {
    const code = err.status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'NOT_ACCEPTABLE';
    return {
      type: problemType(code),
      title: TITLES[err.status]!,
      status: err.status,
      detail: err.message,
      instance,
      code,
    };
  }
  if (err instanceof NodeError) {
    const status = httpStatusOf(err.code);
    return {
      type: problemType(err.code),
      title: TITLES[status] ?? 'Error',
      status,
      detail: err.message,
      instance,
      code: err.code,
      ...(err.details.length ? { errors: err.details } : {}),
    };
  }
  const e = err as { status?: unknown; type?: unknown; expose?: unknown; message?: unknown };
  // body-parser errors (http-errors): entity.too.large, entity.parse.failed, charset...
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    const code = e.status === 413 ? 'LIMIT_EXCEEDED' : 'BAD_REQUEST';
    return {
      type: problemType(code),
      title: TITLES[e.status] ?? 'Bad Request',
      status: e.status,
      detail: String(e.message ?? 'bad request'),
      instance,
      code,
    };
  }
  return {
    type: problemType('INTERNAL'),
    title: TITLES[500]!,
    status: 500,
    detail: 'internal error; see the node log',
    instance,
    code: 'INTERNAL',
  };
}

/** The one error middleware: typed errors → application/problem+json (RFC 9457). */
export function problemMiddleware(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const p = toProblem(err, req.originalUrl);
    if (p.status >= 500)
      logger.error('api.request_failed', { method: req.method, path: req.path, error: err as Error });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (p.status === 401)
      res.setHeader('WWW-Authenticate', String(res.locals.authChallenge ?? 'Bearer realm="pacs-ai-node"'));
    res.status(p.status).type('application/problem+json').send(JSON.stringify(p));
  };
}

/** A NodeError for a bad request (400). */
export function badRequest(message: string, details: readonly string[] = []): NodeError {
  return new NodeError('BAD_REQUEST', message, details);
}

/** An edge-only error with an HTTP status the core codes do not have (406, 415). */
export class HttpStatusError extends NodeError {
  constructor(
    readonly status: 406 | 415,
    message: string,
  ) {
    super('BAD_REQUEST', message);
  }
}
