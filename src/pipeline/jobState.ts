import { InvalidStateTransitionError } from './errors';

/**
 * The job state machine of ARCHITECTURE.md:
 * received → complete → routed → inferring → encoded → delivering → delivered,
 * with discarded, out_of_scope and failed as terminal or side states.
 */
export const JOB_STATES = [
  'received',
  'complete',
  'routed',
  'inferring',
  'encoded',
  'delivering',
  'delivered',
  'discarded',
  'out_of_scope',
  'failed',
] as const;

export type JobState = (typeof JOB_STATES)[number];

const EDGES: Readonly<Record<JobState, readonly JobState[]>> = {
  received: ['complete', 'failed'],
  complete: ['routed', 'discarded', 'failed'],
  routed: ['inferring', 'delivering', 'discarded', 'failed'],
  inferring: ['encoded', 'out_of_scope', 'failed', 'inferring'],
  encoded: ['delivering', 'delivered', 'failed'],
  delivering: ['delivered', 'failed', 'delivering'],
  delivered: [],
  discarded: [],
  out_of_scope: [],
  // A retryable failure may be picked up again from the state it failed in.
  failed: ['complete', 'routed', 'inferring', 'encoded', 'delivering'],
};

/** States after which nothing more happens to a job (failed can be retried by hand). */
export const TERMINAL_STATES: readonly JobState[] = ['delivered', 'discarded', 'out_of_scope'];

export function isTerminal(state: JobState): boolean {
  return TERMINAL_STATES.includes(state);
}

export function canTransition(from: JobState, to: JobState): boolean {
  return EDGES[from].includes(to);
}

/** Throws InvalidStateTransitionError for an edge the machine does not have. */
export function assertTransition(from: JobState, to: JobState): void {
  if (!canTransition(from, to)) {
    throw new InvalidStateTransitionError(`job cannot go from ${from} to ${to}`);
  }
}

export function isJobState(s: string): s is JobState {
  return (JOB_STATES as readonly string[]).includes(s);
}
