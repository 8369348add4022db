/**
 * Rules benchmark: 200 rules against 10,000 synthetic series headers, on one core.
 * Prints series-rule evaluations per second (target: at least 50,000).
 *
 * Run from the repository root:
 *   npx tsc -p tsconfig.json --outDir /tmp/benchbuild; NODE_PATH=$PWD/node_modules node /tmp/benchbuild/bench/rules.js
 * (tsc may report type errors in files other engineers are still writing; it emits anyway.)
 */
import { computeFacts, evaluateRules, parseRules, type SeriesRoutingInput } from '../src/route';

const RULES = 200;
const SERIES = 10_000;

/** A small deterministic PRNG (mulberry32), so every run routes the same inputs. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = prng(20260101);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const MODALITIES = ['CT', 'MR', 'CR', 'DX', 'NM', 'PT', 'US', 'MG'];
const BODY_PARTS = ['CHEST', 'HEAD', 'ABDOMEN', 'PELVIS', 'KNEE', 'SPINE', 'BRAIN'];
const VIEWS = ['PA', 'AP', 'LL', 'RL'];

/** One rule, cycling through the operators, nesting, sequences and facts. */
function rule(i: number): string {
  const m = pick(MODALITIES);
  const bp = pick(BODY_PARTS);
  const variants = [
    `{ all: [{ attr: Modality, equals: ${m} }, { attr: BodyPartExamined, equals: ${bp.toLowerCase()}, ignoreCase: true }] }`,
    `{ all: [{ attr: Modality, in: [${m}, ${pick(MODALITIES)}] }, { fact: patientAgeYears, gte: ${Math.floor(rand() * 80)} }] }`,
    `{ any: [{ attr: SeriesDescription, regex: '${bp.toLowerCase()}.*(t1|pa)', ignoreCase: true }, { attr: ViewPosition, in: [${pick(VIEWS)}] }] }`,
    `{ all: [{ attr: ImageType, equals: PRIMARY }, { not: { attr: ImageType, equals: LOCALIZER } }, { fact: sliceSpacingMm, between: [0.5, ${1 + Math.floor(rand() * 4)}] }] }`,
    `{ all: [{ attr: ProcedureCodeSequence.CodeValue, startsWith: P${i % 10} }, { fact: instanceCount, gt: ${Math.floor(rand() * 50)} }] }`,
    `{ all: [{ fact: callingAeTitle, in: [MOD${i % 7}, MOD${(i + 3) % 7}] }, { fact: orientation, equals: AXIAL }, { attr: ContrastBolusAgent, exists: ${rand() < 0.5} }] }`,
    `{ any: [{ all: [{ attr: Modality, notIn: [${m}] }, { attr: StudyDescription, contains: ${bp} }] }, { fact: pixelSpacingMm, lt: 0.3 }] }`,
  ];
  return `  - id: rule-${i}\n    when: ${variants[i % variants.length]}\n    then: { run: [model-${i % 20}], deliver: [results] }\n    continue: true\n`;
}

function series(i: number): SeriesRoutingInput {
  const modality = pick(MODALITIES);
  const bp = pick(BODY_PARTS);
  const slices = 1 + Math.floor(rand() * 3);
  const headers = Array.from({ length: slices }, (_, k) => ({
    SeriesInstanceUID: `1.2.826.0.1.3680043.10.${i}`,
    Modality: modality,
    BodyPartExamined: rand() < 0.9 ? `${bp} ` : undefined,
    ViewPosition: pick(VIEWS),
    SeriesDescription: `${bp} ${pick(['T1 MPRAGE', 'PA erect', 'axial', 'portal venous'])}`,
    StudyDescription: `${modality} ${bp}`,
    ImageType: rand() < 0.1 ? ['ORIGINAL', 'PRIMARY', 'LOCALIZER'] : ['ORIGINAL', 'PRIMARY', 'AXIAL'],
    PatientAge: `${String(Math.floor(rand() * 99)).padStart(3, '0')}Y`,
    ProcedureCodeSequence: [{ CodeValue: `P${i % 13}X`, CodingSchemeDesignator: 'LOCAL' }],
    ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
    ImagePositionPatient: [0, 0, k * (0.5 + (i % 5))],
    PixelSpacing: [0.2 + (i % 7) / 10, 0.2 + (i % 7) / 10],
    ...(rand() < 0.3 ? { ContrastBolusAgent: 'IOHEXOL' } : {}),
  }));
  return {
    headers,
    peer: { callingAeTitle: `MOD${i % 7}`, calledAeTitle: 'PACSAI', peerAddress: `10.0.0.${i % 250}` },
  };
}

function main(): void {
  const text = `version: 1\nrules:\n${Array.from({ length: RULES }, (_, i) => rule(i)).join('')}`;
  const t0 = process.hrtime.bigint();
  const ruleSet = parseRules(text, { modelIds: null, destinationNames: ['results'] });
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const inputs = Array.from({ length: SERIES }, (_, i) => series(i));
  // Warm-up, so the JIT has compiled the evaluator before timing.
  for (let i = 0; i < 500; i++) evaluateRules(ruleSet, inputs[i]!);
  let matched = 0;
  let traced = 0;
  const t1 = process.hrtime.bigint();
  for (const input of inputs) {
    const d = evaluateRules(ruleSet, input, computeFacts(input));
    matched += d.matched.length;
    traced += d.trace.length;
  }
  const seconds = Number(process.hrtime.bigint() - t1) / 1e9;
  const evaluations = RULES * SERIES;
  console.log(
    JSON.stringify({
      rules: RULES,
      series: SERIES,
      loadMs: Math.round(loadMs),
      seconds: Number(seconds.toFixed(3)),
      seriesPerSecond: Math.round(SERIES / seconds),
      evaluationsPerSecond: Math.round(evaluations / seconds),
      meanMatchedPerSeries: Number((matched / SERIES).toFixed(2)),
      meanTraceEntriesPerSeries: Number((traced / SERIES).toFixed(1)),
      node: process.version,
    }),
  );
}

main();
