import type { Logger } from '../logging/logger';
import type { AuditSink } from '../pipeline/audit';
import type { ScheduledJob } from './jobScheduler';

/** The outcome of a chain verification (src/audit verifyAuditChain, injected by app.ts). */
export interface ChainVerificationResult {
  ok: boolean;
  rows?: number;
  firstBadSeq: number | null;
  problem: string | null;
}

/** The last verdict, as readyz and the metrics read it. */
export interface AuditChainVerdict extends ChainVerificationResult {
  checkedAt: number;
}

export interface AuditChainCheckOptions {
  verify: () => ChainVerificationResult;
  logger: Logger;
  metrics?: { auditChainChecked(ok: boolean): void };
  /** When given, the moment the chain is first found broken is itself audited. */
  audit?: AuditSink;
  /** Cron expression; default every 15 minutes. */
  schedule?: string;
}

/**
 * Verifies the audit hash chain on a schedule (PRODUCT.md 7) and keeps the verdict: a broken
 * chain is logged, set in the metrics (pacs_audit_chain_ok 0) and turns /readyz red.
 */
export class AuditChainCheck {
  private verdict: AuditChainVerdict | null = null;

  constructor(private readonly o: AuditChainCheckOptions) {}

  /** The last verdict; null before the first run. */
  last(): AuditChainVerdict | null {
    return this.verdict;
  }

  /** Verifies now. */
  check(now: number): AuditChainVerdict {
    const wasOk = this.verdict?.ok ?? true;
    const r = this.o.verify();
    this.verdict = { ok: r.ok, rows: r.rows, firstBadSeq: r.firstBadSeq, problem: r.problem, checkedAt: now };
    this.o.metrics?.auditChainChecked(r.ok);
    if (!r.ok) {
      this.o.logger.error('audit.chain_broken', { firstBadSeq: r.firstBadSeq, problem: r.problem });
      if (wasOk)
        this.o.audit?.record({
          event: 'audit.chain_broken',
          detail: { firstBadSeq: r.firstBadSeq, problem: r.problem },
        });
    }
    return this.verdict;
  }

  /** The check as a scheduled job. */
  job(): ScheduledJob {
    return {
      name: 'audit-chain-check',
      schedule: this.o.schedule ?? '*/15 * * * *',
      run: (now) => {
        const v = this.check(now);
        if (!v.ok) throw new Error(`audit chain broken at row ${v.firstBadSeq}: ${v.problem}`);
        return `audit chain intact (${v.rows ?? '?'} rows)`;
      },
    };
  }
}
