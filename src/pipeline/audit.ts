/**
 * What stages know of the audit trail: a synchronous sink. Called inside the same SQLite
 * transaction as the change it records, so a transition and its audit row commit together.
 */
export interface AuditEventInput {
  /** Dotted event name, e.g. `series.completed`, `job.transition`, `rules.reloaded`. */
  event: string;
  /** Who did it: `node`, a calling AE title, or an API token name. */
  actor?: string;
  /** Association or job correlation id. */
  correlationId?: string | null;
  /** What it is about: a series UID, a job id, a delivery id. Never patient names or IDs. */
  subject?: string | null;
  /** Structured detail; stored as canonical JSON. */
  detail?: Record<string, unknown>;
}

export interface AuditSink {
  record(e: AuditEventInput): void;
}
