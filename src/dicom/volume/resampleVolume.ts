import { NodeError } from '../../pipeline/errors';
import type { Volume, VolumeGrid } from './volume';

type M3 = [number, number, number, number, number, number, number, number, number];

/** Column-major-free 3×3: m[3*r + c]; column a of the index→LPS matrix is direction[a]·spacing[a]. */
function indexToLps(g: VolumeGrid): M3 {
  const m = new Array<number>(9).fill(0) as M3;
  for (let a = 0; a < 3; a++) for (let x = 0; x < 3; x++) m[3 * x + a] = g.direction[a]![x]! * g.spacing[a]!;
  return m;
}

function invert(m: M3): M3 {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12)
    throw new NodeError('BAD_REQUEST', 'volume grid is singular (zero spacing or degenerate directions)');
  return [
    A / det,
    -(b * i - c * h) / det,
    (b * f - c * e) / det,
    B / det,
    (a * i - c * g) / det,
    -(a * f - c * d) / det,
    C / det,
    -(a * h - b * g) / det,
    (a * e - b * d) / det,
  ];
}

function multiply(p: M3, q: M3): M3 {
  const r = new Array<number>(9).fill(0) as M3;
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++)
      r[3 * i + j] = p[3 * i]! * q[j]! + p[3 * i + 1]! * q[3 + j]! + p[3 * i + 2]! * q[6 + j]!;
  return r;
}

/**
 * The affine from target voxel indices to (continuous) source voxel indices:
 * src = A · tgt + b, with A = Ms⁻¹ Mt and b = Ms⁻¹ (ot − os).
 */
export function targetToSourceIndex(
  src: VolumeGrid,
  target: VolumeGrid,
): { a: M3; b: [number, number, number] } {
  const inv = invert(indexToLps(src));
  const a = multiply(inv, indexToLps(target));
  const d = [0, 1, 2].map((x) => target.origin[x]! - src.origin[x]!);
  const b: [number, number, number] = [0, 0, 0];
  for (let r = 0; r < 3; r++) b[r] = inv[3 * r]! * d[0]! + inv[3 * r + 1]! * d[1]! + inv[3 * r + 2]! * d[2]!;
  return { a, b };
}

/**
 * Resamples `src` onto the `target` grid (both in LPS). A target voxel whose centre falls inside
 * the source volume (within half a voxel of its outer voxel centres) takes the trilinear
 * interpolation of its 8 neighbours (edge voxels repeated at the border) or the nearest voxel;
 * outside it gets `fill` (default 0). `slices` of the target, when present, are carried over, so
 * mapping a label volume back onto a DICOM-built grid keeps the source frame of every k slice.
 */
export function resampleVolume(
  src: Volume,
  target: Omit<Volume, 'data' | 'slices'>,
  interpolation: 'trilinear' | 'nearest',
  fill = 0,
): Volume {
  const [nx, ny, nz] = src.dims;
  if (src.data.length !== nx * ny * nz)
    throw new NodeError(
      'BAD_REQUEST',
      `source volume holds ${src.data.length} values, dims say ${nx * ny * nz}`,
    );
  const [ti, tj, tk] = target.dims;
  const out = new Float32Array(ti * tj * tk);
  const { a, b } = targetToSourceIndex(src, target);
  const data = src.data;
  const sxy = nx * ny;
  // half-voxel border (PS: voxel extent), and neighbour strides that collapse on 1-voxel axes
  const hx = nx - 0.5;
  const hy = ny - 0.5;
  const hz = nz - 0.5;
  const dx = nx > 1 ? 1 : 0;
  const dy = ny > 1 ? nx : 0;
  const dz = nz > 1 ? sxy : 0;
  const mx = Math.max(nx - 2, 0);
  const my = Math.max(ny - 2, 0);
  const mz = Math.max(nz - 2, 0);
  const lx = nx - 1;
  const ly = ny - 1;
  const lz = nz - 1;
  const [a00, a01, a02, a10, a11, a12, a20, a21, a22] = a;
  let o = 0;
  for (let k = 0; k < tk; k++) {
    for (let j = 0; j < tj; j++) {
      let x = a01 * j + a02 * k + b[0];
      let y = a11 * j + a12 * k + b[1];
      let z = a21 * j + a22 * k + b[2];
      if (interpolation === 'nearest') {
        for (let i = 0; i < ti; i++, x += a00, y += a10, z += a20) {
          if (x < -0.5 || y < -0.5 || z < -0.5 || x >= hx || y >= hy || z >= hz) {
            out[o++] = fill;
            continue;
          }
          // x >= -0.5 here, so (x + 0.5) | 0 is Math.round without a call (hot loop)
          let xi = (x + 0.5) | 0;
          let yi = (y + 0.5) | 0;
          let zi = (z + 0.5) | 0;
          if (xi > lx) xi = lx;
          if (yi > ly) yi = ly;
          if (zi > lz) zi = lz;
          out[o++] = data[xi + nx * yi + sxy * zi]!;
        }
      } else {
        for (let i = 0; i < ti; i++, x += a00, y += a10, z += a20) {
          if (x < -0.5 || y < -0.5 || z < -0.5 || x >= hx || y >= hy || z >= hz) {
            out[o++] = fill;
            continue;
          }
          const cx = x < 0 ? 0 : x > lx ? lx : x;
          const cy = y < 0 ? 0 : y > ly ? ly : y;
          const cz = z < 0 ? 0 : z > lz ? lz : z;
          let x0 = cx | 0; // cx >= 0: truncation is floor
          let y0 = cy | 0;
          let z0 = cz | 0;
          if (x0 > mx) x0 = mx;
          if (y0 > my) y0 = my;
          if (z0 > mz) z0 = mz;
          const fx = cx - x0;
          const fy = cy - y0;
          const fz = cz - z0;
          const p = x0 + nx * y0 + sxy * z0;
          const c00 = data[p]! + (data[p + dx]! - data[p]!) * fx;
          const c10 = data[p + dy]! + (data[p + dy + dx]! - data[p + dy]!) * fx;
          const c01 = data[p + dz]! + (data[p + dz + dx]! - data[p + dz]!) * fx;
          const c11 = data[p + dz + dy]! + (data[p + dz + dy + dx]! - data[p + dz + dy]!) * fx;
          const c0 = c00 + (c10 - c00) * fy;
          const c1 = c01 + (c11 - c01) * fy;
          out[o++] = c0 + (c1 - c0) * fz;
        }
      }
    }
  }
  const result: Volume = {
    dims: [ti, tj, tk],
    spacing: [...target.spacing],
    origin: [...target.origin],
    direction: [[...target.direction[0]], [...target.direction[1]], [...target.direction[2]]],
    data: out,
  };
  const slices = (target as Partial<Volume>).slices;
  if (Array.isArray(slices) && slices.length === tk) result.slices = slices.map((s) => ({ ...s }));
  return result;
}
