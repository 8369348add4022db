import { isValidUid } from '../dicom';
import { NodeError } from '../pipeline/errors';

/** Reference to an earlier SR that a new SR supersedes (PS3.3 C.17.2 Predecessor Documents Sequence). */
export interface PredecessorReference {
  sopInstanceUid: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  sopClassUid: string;
}

/** What every writer needs besides the inference result: where to write, who the node is, the clock. */
export interface EncodeContext {
  /** Folder where Part 10 files are written as `<sopInstanceUid>.dcm`. */
  outputDir: string;
  /** Version of rules.yaml that routed the series; part of every derived UID. */
  rulesVersion: string;
  /** Stable per installation (TID 1004 Device Observer UID). */
  deviceObserverUid: string;
  /** E.g. 'pacs-ai-node' (TID 1004 Device Observer Name, ManufacturerModelName). */
  deviceObserverName: string;
  /** E.g. 'pacs-ai-node project' (General Equipment Manufacturer). */
  manufacturer: string;
  /** Node version (SoftwareVersions). */
  softwareVersion: string;
  institutionName?: string;
  /** First SeriesNumber of the reserved range (default 900): SR +0, SEG +1, SC +2, derived +3. */
  seriesNumberBase?: number;
  /** Slices rendered in a multi-frame SC: 0 (default) = all, n = the n slices with most mask. */
  scKeySlices?: number;
  /** The SR this run's SR supersedes. */
  predecessorSr?: PredecessorReference;
  /** Content date/time (from the injected clock). */
  now: Date;
}

/** Default first series number of the reserved range (RESULTS.md 3.4). */
export const DEFAULT_SERIES_NUMBER_BASE = 900;

/** Checks every field of an EncodeContext; throws ENCODE_INVALID listing each problem. */
export function validateEncodeContext(ctx: EncodeContext): void {
  const problems: string[] = [];
  const text = (name: keyof EncodeContext, max: number): void => {
    const v = ctx[name];
    if (typeof v !== 'string' || v.trim() === '') problems.push(`${name}: required`);
    else if (v.length > max) problems.push(`${name}: at most ${max} characters`);
  };
  text('outputDir', 4096);
  text('rulesVersion', 64);
  text('deviceObserverName', 64);
  text('manufacturer', 64);
  text('softwareVersion', 64);
  if (!isValidUid(ctx.deviceObserverUid ?? '')) problems.push('deviceObserverUid: not a valid UID');
  if (ctx.institutionName !== undefined && ctx.institutionName.length > 64) {
    problems.push('institutionName: at most 64 characters');
  }
  const base = ctx.seriesNumberBase;
  if (base !== undefined && (!Number.isInteger(base) || base < 1 || base > 2147483640)) {
    problems.push('seriesNumberBase: a positive integer');
  }
  const keys = ctx.scKeySlices;
  if (keys !== undefined && (!Number.isInteger(keys) || keys < 0))
    problems.push('scKeySlices: an integer >= 0');
  if (!(ctx.now instanceof Date) || Number.isNaN(ctx.now.getTime())) problems.push('now: a valid Date');
  const p = ctx.predecessorSr;
  if (p) {
    for (const k of ['sopInstanceUid', 'seriesInstanceUid', 'studyInstanceUid', 'sopClassUid'] as const) {
      if (!isValidUid(p[k] ?? '')) problems.push(`predecessorSr.${k}: not a valid UID`);
    }
  }
  if (problems.length > 0) throw new NodeError('ENCODE_INVALID', 'invalid encode context', problems);
}
