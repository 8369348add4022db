import winston from 'winston';

/**
 * Log events, not prose (STYLE.md 10): every line is JSON with an `event` code
 * (`<stage>.<what>`), a correlation id per association or job, and never patient names or IDs.
 */
export interface Logger {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
  debug(event: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines all carry these fields (correlationId, stage...). */
  child(fields: Record<string, unknown>): Logger;
}

/** Keys that may carry PHI; their values are replaced before a line is written. */
const PHI_KEYS = new Set(
  [
    'PatientName',
    'PatientID',
    'PatientBirthDate',
    'PatientAddress',
    'OtherPatientIDs',
    'OtherPatientNames',
    'PatientMotherBirthName',
    'ReferringPhysicianName',
    'PerformingPhysicianName',
    'OperatorsName',
    'AccessionNumber',
    'InstitutionName',
    'patientName',
    'patientId',
    'patientBirthDate',
    'accessionNumber',
  ].map((k) => k.toLowerCase()),
);

/** Replaces PHI-bearing values, recursively, with "[redacted]". */
export function scrubPhi(v: unknown, depth = 0): unknown {
  if (depth > 6 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => scrubPhi(x, depth + 1));
  if (v instanceof Error) return { name: v.name, message: v.message };
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    out[k] = PHI_KEYS.has(k.toLowerCase()) ? '[redacted]' : scrubPhi(x, depth + 1);
  }
  return out;
}

class WinstonLogger implements Logger {
  constructor(
    private readonly w: winston.Logger,
    private readonly fields: Record<string, unknown>,
  ) {}
  private log(level: string, event: string, f?: Record<string, unknown>): void {
    // Below the configured level nothing is built: no scrub, no formatting (hot paths log debug).
    if (!this.w.isLevelEnabled(level)) return;
    this.w.log(level, event, scrubPhi({ ...this.fields, ...(f ?? {}), event }) as Record<string, unknown>);
  }
  info(e: string, f?: Record<string, unknown>): void {
    this.log('info', e, f);
  }
  warn(e: string, f?: Record<string, unknown>): void {
    this.log('warn', e, f);
  }
  error(e: string, f?: Record<string, unknown>): void {
    this.log('error', e, f);
  }
  debug(e: string, f?: Record<string, unknown>): void {
    this.log('debug', e, f);
  }
  child(fields: Record<string, unknown>): Logger {
    return new WinstonLogger(this.w, { ...this.fields, ...fields });
  }
}

export interface LoggerOptions {
  level?: 'error' | 'warn' | 'info' | 'debug';
  /** Where lines go; default standard output. */
  stream?: NodeJS.WritableStream;
  silent?: boolean;
}

/** A winston logger writing JSON lines: {"level","time","event",...fields}. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const w = winston.createLogger({
    level: opts.level ?? 'info',
    silent: opts.silent ?? false,
    format: winston.format.combine(
      winston.format.timestamp({ alias: 'time' }),
      winston.format((info) => {
        // winston puts the message (our event) in `message`; keep `event` only.
        delete (info as Record<string, unknown>).message;
        delete (info as Record<string, unknown>).timestamp;
        return info;
      })(),
      winston.format.json(),
    ),
    transports: [new winston.transports.Stream({ stream: opts.stream ?? process.stdout })],
  });
  return new WinstonLogger(w, {});
}

/** A logger that drops everything (unit tests). */
export const silentLogger: Logger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
  child: () => silentLogger,
};
