/**
 * The one type each stage hands on (ARCHITECTURE.md "Stages and the one type each hands on").
 * Stages import this file and shared modules, never each other; src/app.ts wires them.
 */

/** How an instance reached the node. */
export type InstanceSource = 'dimse' | 'stow';

/** Who sent an instance: the association (PS3.8 7.1.1) or HTTP request it came on. */
export interface PeerInfo {
  /** Calling AE Title (PS3.8 9.3.2), trimmed; for STOW-RS the token name or "STOW-RS". */
  callingAeTitle: string;
  /** Called AE Title, trimmed. */
  calledAeTitle: string;
  /** Remote IP address. */
  peerAddress: string;
  /** Correlation id of the association or HTTP request. */
  associationId: string;
}

/** What the index keeps of a received instance's header (store's validateHeader reads it). */
export interface InstanceFacts {
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  modality: string;
  instanceNumber: number | null;
  /** Expected instances in the series when the header says (Images in Acquisition...), else null. */
  expectedCount: number | null;
  /** Number of Frames of this instance (1 when absent). */
  numberOfFrames: number;
}

/** receive → store → assemble: one durable instance (file fsynced, index row committed). */
export interface ReceivedInstance extends InstanceFacts {
  /** Absolute path of the stored Part 10 file; a name the node made. */
  filePath: string;
  sizeBytes: number;
  source: InstanceSource;
  peer: PeerInfo;
  /** Epoch ms. */
  receivedAt: number;
  /** True when this SOP Instance UID was already held: kept once, answered with success. */
  duplicate: boolean;
  /** True when it arrived after its series had completed. */
  lateArrival: boolean;
}

/** Why assembly declared a series complete (PRODUCT.md 2). */
export type CompletionSignal = 'association-end' | 'expected-count' | 'quiet-period' | 'resumed' | 'manual';

/** A stored instance of a series, as the later stages see it. */
export interface SeriesInstanceRef {
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  instanceNumber: number | null;
  filePath: string;
}

/** assemble → route: a series declared complete. */
export interface CompletedSeries {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  modality: string;
  instances: SeriesInstanceRef[];
  signal: CompletionSignal;
  /** Epoch ms of the decision. */
  completedAt: number;
  /** Epoch ms of the last instance received. */
  lastReceivedAt: number;
  peer: Omit<PeerInfo, 'associationId'>;
}

/** Routing priority (rules.yaml `priority`). */
export type Priority = 'stat' | 'normal' | 'offpeak';

/** One model to run, with the rule's per-model settings (thresholds...). */
export interface ModelRun {
  model: string;
  settings: Record<string, unknown>;
}

/** An action that applies once results exist (rules.yaml `then.when`). */
export interface ResultCondition {
  finding?: string;
  probabilityGte?: number;
  present?: boolean;
  measurement?: string;
  valueGte?: number;
  valueLte?: number;
  deliver: string[];
  notify: string[];
}

/** What the matching rules ask for, merged. */
export interface RouteActions {
  run: ModelRun[];
  deliver: string[];
  forward: string[];
  discard: boolean;
  notify: string[];
  onResult: ResultCondition[];
  priority: Priority;
  level: 'series' | 'study';
}

/** One evaluated condition in a routing trace: what it looked at, what it saw, what it decided. */
export interface TraceEntry {
  rule: string;
  path: string;
  condition: string;
  /** The attribute or fact value seen (null when missing). */
  value: unknown;
  result: boolean;
}

/** route → infer: the matching rules of one series, with the evidence. */
export interface RouteDecision {
  seriesInstanceUid: string;
  rulesVersion: string;
  matched: string[];
  actions: RouteActions;
  trace: TraceEntry[];
}

/** A coded concept (PS3.3 8.8 Code Sequence Macro). */
export interface Code {
  value: string;
  scheme: string;
  meaning: string;
}

/** A UCUM unit (PS3.16 CID 82). */
export interface Unit {
  code: string;
  meaning: string;
}

/** A classification outcome. */
export interface Finding {
  label: string;
  code: Code;
  /** 0..1 when the model gives one. */
  probability: number | null;
  present: boolean;
  threshold: number | null;
  findingSite?: Code;
}

/** A number measured from the result (volume, area, score). */
export interface Measurement {
  name: string;
  code: Code;
  value: number;
  unit: Unit;
  /** The SEG segment it was measured on, when there is one. */
  segmentNumber?: number;
  findingSite?: Code;
}

/** A segment of a label volume (PS3.3 C.8.20.4 Segment Description). */
export interface SegmentDescription {
  segmentNumber: number;
  label: string;
  category: Code;
  type: Code;
  /** CIELab or RGB display colour, 0..255 RGB here. */
  color: [number, number, number];
}

/**
 * A label mask on the source geometry: one frame per source instance frame, in the order of
 * `frames`; each voxel holds a segment number (0 = background).
 */
export interface LabelVolume {
  rows: number;
  columns: number;
  frames: Array<{ sopInstanceUid: string; frameNumber: number }>;
  data: Uint8Array;
  segments: SegmentDescription[];
}

/** A heat map (0..1) on one source image. */
export interface HeatMap {
  sopInstanceUid: string;
  frameNumber: number;
  rows: number;
  columns: number;
  data: Float32Array;
}

/** An image-to-image output frame on the source geometry. */
export interface DerivedFrame {
  sopInstanceUid: string;
  frameNumber: number;
  rows: number;
  columns: number;
  /** Stored values; `rescaleSlope`/`rescaleIntercept` map them to output units. */
  data: Uint16Array | Int16Array;
  rescaleSlope: number;
  rescaleIntercept: number;
}

/** The kinds of result object a model may ask for (manifest `results`). */
export type ResultKind = 'SR' | 'SEG' | 'SC' | 'DERIVED';

export type ModelTask = 'classification' | 'segmentation' | 'image-to-image' | 'detection';

/** infer → encode. */
export interface InferenceResult {
  modelId: string;
  modelVersion: string;
  modelName: string;
  task: ModelTask;
  /** Thresholds and other settings actually used, for TID 4019 Algorithm Parameters. */
  algorithmParameters: Record<string, string>;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sourceInstances: SeriesInstanceRef[];
  outOfScope: boolean;
  reason: string | null;
  findings: Finding[];
  measurements: Measurement[];
  labelVolume?: LabelVolume;
  heatMaps?: HeatMap[];
  derivedFrames?: DerivedFrame[];
  results: ResultKind[];
  durationMs: number;
}

/** encode → deliver: one Part 10 file written by the node. */
export interface EncodedObject {
  kind: ResultKind;
  sopClassUid: string;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  transferSyntaxUid: string;
  filePath: string;
  modelId: string;
  modelVersion: string;
}

/** Per-instance delivery outcome (PS3.7 C.4.2.1.5 status; PS3.18 FailedSOPSequence). */
export type DeliveryStatusClass = 'success' | 'warning' | 'failure';

export interface DeliveryOutcome {
  destination: string;
  sopInstanceUid: string;
  status: DeliveryStatusClass;
  /** DIMSE status code or HTTP status / FailureReason, when known. */
  statusCode: number | null;
  message: string;
  retryable: boolean;
}
