/** Backoff settings of a destination (node.yaml destinations.<name>). */
export interface BackoffPolicy {
  initialBackoffSeconds: number;
  maxBackoffSeconds: number;
}

/**
 * Delay before attempt `attempt + 1`, after `attempt` failed attempts (attempt >= 1), in ms.
 * Exponential: base = initialBackoffSeconds * 2^(attempt-1), capped at maxBackoffSeconds.
 * "Equal jitter": the delay is base/2 + random * base/2, so it lies in [base/2, base) — never
 * less than half the base (a struggling PACS gets real breathing room) and never more than the
 * cap. `random` returns [0, 1) and is injected so tests can pin it.
 */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const exp = Math.max(0, attempt - 1);
  const baseSeconds = Math.min(
    policy.maxBackoffSeconds,
    policy.initialBackoffSeconds * 2 ** Math.min(exp, 52),
  );
  const base = baseSeconds * 1000;
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(base / 2 + (r * base) / 2);
}
