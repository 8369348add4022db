/**
 * The typed errors of the core (STYLE.md 7). Stages throw these; only the edges (the DIMSE
 * SCP, the HTTP API, the CLI) translate them into a DIMSE status, problem+json or an exit code.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'RULES_INVALID'
  | 'MANIFEST_INVALID'
  | 'MODEL_UNAVAILABLE'
  | 'OUT_OF_RESOURCES'
  | 'DATASET_INVALID'
  | 'SOP_CLASS_NOT_SUPPORTED'
  | 'PEER_NOT_ALLOWED'
  | 'LIMIT_EXCEEDED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'DECODE_FAILED'
  | 'OUT_OF_SCOPE'
  | 'INFERENCE_FAILED'
  | 'TIMEOUT'
  | 'ENCODE_INVALID'
  | 'DELIVERY_FAILED'
  | 'AUDIT_CHAIN_BROKEN'
  | 'INVALID_STATE_TRANSITION'
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN';

/** Base class: a stable machine code, a human message, and optional structured details. */
export class NodeError extends Error {
  readonly code: ErrorCode;
  readonly details: readonly string[];

  constructor(
    code: ErrorCode,
    message: string,
    details: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** A configuration file (node.yaml) failed validation; `details` lists every problem with its path. */
export class ConfigError extends NodeError {
  constructor(message: string, details: readonly string[] = []) {
    super('CONFIG_INVALID', message, details);
  }
}

/** Free disk below the watermark, or another resource exhausted (DIMSE 0xA700). */
export class OutOfResourcesError extends NodeError {
  constructor(message: string) {
    super('OUT_OF_RESOURCES', message);
  }
}

/** A received dataset cannot be understood (DIMSE 0xC000 family). */
export class DatasetInvalidError extends NodeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DATASET_INVALID', message, [], options);
  }
}

/** A peer exceeded a configured limit (message size, associations, PDU length). */
export class LimitExceededError extends NodeError {
  constructor(message: string) {
    super('LIMIT_EXCEEDED', message);
  }
}

/** Something looked up does not exist. */
export class NotFoundError extends NodeError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

/** A job was asked to move along an edge the state machine does not have. */
export class InvalidStateTransitionError extends NodeError {
  constructor(message: string) {
    super('INVALID_STATE_TRANSITION', message);
  }
}

/** A delivery to a destination failed; `retryable` says whether trying again later may succeed. */
export class DeliveryError extends NodeError {
  readonly retryable: boolean;

  constructor(message: string, retryable: boolean, options?: { cause?: unknown }) {
    super('DELIVERY_FAILED', message, [], options);
    this.retryable = retryable;
  }
}

/** The audit hash chain does not verify. */
export class AuditChainBrokenError extends NodeError {
  constructor(message: string, details: readonly string[] = []) {
    super('AUDIT_CHAIN_BROKEN', message, details);
  }
}

/** Lists a zod error's issues as `path: message` lines (config, rules, manifests, API inputs). */
export function formatIssues(
  issues: ReadonlyArray<{ path: ReadonlyArray<string | number>; message: string }>,
  root = '',
): string[] {
  return issues.map((i) => `${joinPath(root, i.path)}: ${i.message}`);
}

/** `rules`, [2, 'when', 'all', 1] → `rules[2].when.all[1]`. */
export function joinPath(root: string, path: ReadonlyArray<string | number>): string {
  let out = root;
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${p}` : p;
  }
  return out || '(root)';
}
