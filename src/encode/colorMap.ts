import type { Rgb } from './rgbCanvas';

/** A jet-like colour map: 0 blue → cyan → green → yellow → 1 red (values clamped to 0..1). */
export function jet(v: number): Rgb {
  const t = Math.min(1, Math.max(0, v));
  const channel = (centre: number): number =>
    Math.round(255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * t - centre))));
  return [channel(3), channel(2), channel(1)];
}
