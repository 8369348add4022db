/** A 3×3 direction matrix: row a is the unit LPS vector of voxel axis a (0: i, 1: j, 2: k). */
export type Direction = [[number, number, number], [number, number, number], [number, number, number]];

/**
 * A scalar volume on a regular grid in patient coordinates (LPS, PS3.3 C.7.6.2.1.1): the centre
 * of voxel (i, j, k) lies at origin + i·spacing[0]·direction[0] + j·spacing[1]·direction[1] +
 * k·spacing[2]·direction[2].
 */
export interface Volume {
  /** [ni, nj, nk], i fastest in data. */
  dims: [number, number, number];
  /** mm along i, j, k. */
  spacing: [number, number, number];
  /** LPS position of the centre of voxel (0,0,0), mm. */
  origin: [number, number, number];
  /** direction[a] = unit LPS vector of axis a. */
  direction: Direction;
  /** length ni*nj*nk, index = i + ni*(j + nj*k). */
  data: Float32Array;
  /** For volumes built from DICOM: the source (SOP Instance UID, 1-based frame number) of each k slice. */
  slices?: Array<{ sopInstanceUid: string; frameNumber: number }>;
}

/** A grid without voxel values. */
export type VolumeGrid = Omit<Volume, 'data' | 'slices'>;

/** What assembling a series found about its geometry. */
export interface AssemblyReport {
  /** Slice positions (mm along the normal) held by more than one instance/frame. */
  duplicates: Array<{ position: number; sopInstanceUids: string[] }>;
  /** Steps between consecutive distinct positions that differ from the usual spacing. */
  gaps: Array<{ afterPosition: number; spacingMm: number; expectedMm: number }>;
  mixedOrientation: boolean;
  /** The spacing used along k (the median step between distinct positions). */
  sliceSpacingMm: number;
  warnings: string[];
}
