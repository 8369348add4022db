import { PassThrough } from 'node:stream';
import { createLogger, scrubPhi } from '../../../src/logging/logger';

describe('logger', () => {
  it('writes JSON lines with the event code and correlation id, and no patient names or IDs', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (c: Buffer) => lines.push(...c.toString().split('\n').filter(Boolean)));
    const log = createLogger({ stream }).child({ correlationId: 'assoc-1' });
    log.info('receive.instance.stored', {
      sopInstanceUid: '1.2.3',
      PatientName: 'Doe^Jane',
      header: { PatientID: 'MRN-1' },
    });
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(1);
    const o = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(o).toMatchObject({
      level: 'info',
      event: 'receive.instance.stored',
      correlationId: 'assoc-1',
      sopInstanceUid: '1.2.3',
    });
    expect(lines[0]).not.toMatch(/Doe|MRN-1/);
  });

  it('scrubs PHI keys at any depth, whatever their case', () => {
    expect(scrubPhi({ a: [{ patientid: 'x' }], AccessionNumber: 'y', ok: 1 })).toEqual({
      a: [{ patientid: '[redacted]' }],
      AccessionNumber: '[redacted]',
      ok: 1,
    });
  });
});

describe('logger levels', () => {
  it('writes nothing below the configured level', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (c: Buffer) => lines.push(...c.toString().split('\n').filter(Boolean)));
    const log = createLogger({ stream, level: 'warn' });
    log.debug('store.instance.timing', { ms: 1 });
    log.info('receive.association.accepted', {});
    log.warn('store.temp.removed', { files: 1 });
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => (JSON.parse(l) as { event: string }).event)).toEqual(['store.temp.removed']);
  });
});
