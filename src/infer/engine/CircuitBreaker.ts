import type { AuditSink } from '../../pipeline/audit';
import type { Clock, TimerHandle } from '../../pipeline/clock';
import type { Logger } from '../../logging/logger';

export interface CircuitBreakerOptions {
  clock: Clock;
  audit: AuditSink;
  logger: Logger;
  /** Consecutive failures that disable a model. */
  failureThreshold: number;
  /** How long a disabled model stays disabled. */
  disableMs: number;
}

interface State {
  failures: number;
  disabledUntil: number | null;
  timer: TimerHandle | null;
  version: string;
}

/**
 * Per-model circuit breaker on the injected clock: after `failureThreshold` consecutive failures
 * the model is disabled for `disableMs` (audited `model.disabled`), then enabled again
 * (audited `model.enabled`). A success resets the count.
 */
export class CircuitBreaker {
  private readonly states = new Map<string, State>();

  constructor(private readonly opts: CircuitBreakerOptions) {}

  /** Epoch ms until which the model is disabled, or null when it may run. */
  disabledUntil(modelId: string): number | null {
    return this.states.get(modelId)?.disabledUntil ?? null;
  }

  succeeded(modelId: string): void {
    const s = this.states.get(modelId);
    if (s) s.failures = 0;
  }

  failed(modelId: string, version: string, reason: string): void {
    const s = this.states.get(modelId) ?? { failures: 0, disabledUntil: null, timer: null, version };
    this.states.set(modelId, s);
    s.version = version;
    s.failures++;
    if (s.disabledUntil !== null || s.failures < this.opts.failureThreshold) return;
    const until = this.opts.clock.now() + this.opts.disableMs;
    s.disabledUntil = until;
    this.opts.audit.record({
      event: 'model.disabled',
      actor: 'node',
      subject: modelId,
      detail: { modelId, version, failures: s.failures, until: new Date(until).toISOString(), reason },
    });
    this.opts.logger.warn('infer.model_disabled', {
      modelId,
      version,
      failures: s.failures,
      disableMs: this.opts.disableMs,
    });
    s.timer = this.opts.clock.setTimer(this.opts.disableMs, () => this.enable(modelId));
  }

  /** Cancels pending re-enable timers. */
  close(): void {
    for (const s of this.states.values()) s.timer?.cancel();
  }

  private enable(modelId: string): void {
    const s = this.states.get(modelId);
    if (!s) return;
    s.disabledUntil = null;
    s.failures = 0;
    s.timer = null;
    this.opts.audit.record({
      event: 'model.enabled',
      actor: 'node',
      subject: modelId,
      detail: { modelId, version: s.version },
    });
    this.opts.logger.info('infer.model_enabled', { modelId, version: s.version });
  }
}
