/**
 * Operations on model outputs laid out [channel][voxel] and on label images laid out
 * [slice][row][column]. Pure functions; no I/O.
 */

/** Softmax over the channel axis, in place. */
export function softmaxChannels(data: Float32Array, channels: number): Float32Array {
  const n = data.length / channels;
  for (let v = 0; v < n; v++) {
    let mx = -Infinity;
    for (let c = 0; c < channels; c++) mx = Math.max(mx, data[c * n + v]);
    let sum = 0;
    for (let c = 0; c < channels; c++) {
      const e = Math.exp(data[c * n + v] - mx);
      data[c * n + v] = e;
      sum += e;
    }
    for (let c = 0; c < channels; c++) data[c * n + v] /= sum;
  }
  return data;
}

/** Logistic sigmoid, in place. */
export function sigmoidInPlace(data: Float32Array): Float32Array {
  for (let i = 0; i < data.length; i++) data[i] = 1 / (1 + Math.exp(-data[i]));
  return data;
}

/** Index of the largest channel per voxel (ties: the lowest index), as in the model authors' code. */
export function argmaxChannels(data: Float32Array, channels: number): Uint8Array {
  const n = data.length / channels;
  const out = new Uint8Array(n);
  for (let v = 0; v < n; v++) {
    let best = data[v];
    let bi = 0;
    for (let c = 1; c < channels; c++) {
      const x = data[c * n + v];
      if (x > best) {
        best = x;
        bi = c;
      }
    }
    out[v] = bi;
  }
  return out;
}

/** 1 where value >= threshold, else 0. */
export function thresholdMask(data: Float32Array, threshold: number): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] >= threshold ? 1 : 0;
  return out;
}

/** In-plane median filter of a label image (size x size, edges clamped); ties resolved by the sorted middle. */
export function medianFilterLabels(
  labels: Uint8Array,
  depth: number,
  h: number,
  w: number,
  size: number,
): Uint8Array {
  const out = new Uint8Array(labels.length);
  const r = (size - 1) >> 1;
  const win = new Uint8Array(size * size);
  for (let z = 0; z < depth; z++) {
    const base = z * h * w;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let k = 0;
        for (let dy = -r; dy <= r; dy++) {
          const yy = Math.min(h - 1, Math.max(0, y + dy));
          for (let dx = -r; dx <= r; dx++) {
            const xx = Math.min(w - 1, Math.max(0, x + dx));
            win[k++] = labels[base + yy * w + xx];
          }
        }
        win.sort();
        out[base + y * w + x] = win[(size * size) >> 1];
      }
    }
  }
  return out;
}

/**
 * Keeps, for every non-zero label, only its largest connected component (face-connected: 4 in a
 * plane, 6 across slices). Ties keep the component found first in raster order.
 */
export function largestComponentPerLabel(
  labels: Uint8Array,
  depth: number,
  h: number,
  w: number,
): Uint8Array {
  const n = labels.length;
  const comp = new Int32Array(n).fill(-1);
  const sizes: number[] = [];
  const compLabel: number[] = [];
  const stack = new Int32Array(n);
  const plane = h * w;
  for (let s = 0; s < n; s++) {
    const lab = labels[s];
    if (lab === 0 || comp[s] >= 0) continue;
    const id = sizes.length;
    let top = 0;
    let size = 0;
    stack[top++] = s;
    comp[s] = id;
    while (top > 0) {
      const v = stack[--top];
      size++;
      const z = Math.floor(v / plane);
      const rem = v - z * plane;
      const y = Math.floor(rem / w);
      const x = rem - y * w;
      const visit = (u: number): void => {
        if (comp[u] < 0 && labels[u] === lab) {
          comp[u] = id;
          stack[top++] = u;
        }
      };
      if (x > 0) visit(v - 1);
      if (x < w - 1) visit(v + 1);
      if (y > 0) visit(v - w);
      if (y < h - 1) visit(v + w);
      if (z > 0) visit(v - plane);
      if (z < depth - 1) visit(v + plane);
    }
    sizes.push(size);
    compLabel.push(lab);
  }
  const keep = new Map<number, number>();
  sizes.forEach((sz, id) => {
    const lab = compLabel[id];
    const cur = keep.get(lab);
    if (cur === undefined || sz > sizes[cur]) keep.set(lab, id);
  });
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) if (comp[i] >= 0 && keep.get(labels[i]) === comp[i]) out[i] = labels[i];
  return out;
}

/** Voxels per label value. */
export function countLabels(labels: Uint8Array): Map<number, number> {
  const m = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (v !== 0) m.set(v, (m.get(v) ?? 0) + 1);
  }
  return m;
}
