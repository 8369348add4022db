import fs from 'node:fs/promises';

/** A `tls.ca/cert/key` value of node.yaml: PEM text itself, or the path of a PEM file. */
export async function loadPem(value: string | undefined): Promise<string | undefined> {
  if (value === undefined) return undefined;
  if (value.includes('-----BEGIN')) return value;
  return fs.readFile(value, 'utf8');
}
