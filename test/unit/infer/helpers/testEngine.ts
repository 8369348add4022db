import { InferenceEngine, ModelRegistry, type InferenceEngineOptions } from '../../../../src/infer';
import { silentLogger } from '../../../../src/logging/logger';
import { FakeClock } from '../../../../src/pipeline/clock';

/** An InferenceEngine over the models in `modelsDir`: one worker, 60 s timeout, FakeClock, no audit, silent; `o` overrides. */
export function testEngine(
  modelsDir: string,
  o: Partial<Omit<InferenceEngineOptions, 'registry'>> = {},
): InferenceEngine {
  return new InferenceEngine({
    registry: new ModelRegistry({ modelsDir, logger: silentLogger }),
    clock: new FakeClock(),
    audit: { record: () => undefined },
    logger: silentLogger,
    workers: 1,
    timeoutMs: 60_000,
    failureThreshold: 3,
    disableMs: 60_000,
    ...o,
  });
}
