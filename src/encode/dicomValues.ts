/** Formatting of values for the VRs the writers produce (PS3.5 6.2). */

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** DA (YYYYMMDD) of a Date, in UTC. */
export function dicomDate(d: Date): string {
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}`;
}

/** TM (HHMMSS.FFF) of a Date, in UTC. */
export function dicomTime(d: Date): string {
  return `${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}.${pad(d.getUTCMilliseconds(), 3)}`;
}

/** DS text of a number in at most 16 characters (PS3.5 6.2 DS), exponent form when needed. */
export function formatDs(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`DS cannot hold ${n}`);
  for (let p = 12; p >= 1; p--) {
    const fixed = String(Number(n.toPrecision(p)));
    if (fixed.length <= 16) return fixed;
  }
  return n.toExponential(6);
}

/** Text cut to a VR's maximum length (LO 64, SH 16...). */
export function clip(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max);
}

/** A CS value: upper case letters, digits, space and underscore only, at most `max` characters. */
export function toCodeString(s: string, max = 16): string {
  return clip(s.toUpperCase().replace(/[^A-Z0-9_ ]/g, '_'), max);
}
