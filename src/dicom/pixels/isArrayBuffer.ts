/**
 * True for an ArrayBuffer from any realm (`instanceof` fails for buffers made in another V8
 * context, e.g. by Node internals under a test runner's vm sandbox).
 */
export function isArrayBuffer(x: unknown): x is ArrayBuffer {
  return Object.prototype.toString.call(x) === '[object ArrayBuffer]';
}
