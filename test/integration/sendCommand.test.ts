import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { runSend } from '../../src/cli/sendCommand';
import { BRAIN_SERIES_DIR, describeIf, tempDir } from '../helpers/env';
import { startOrthanc, type OrthancInstance } from '../helpers/orthanc';
import { freePort } from '../helpers/ports';
import { writeSyntheticInstance } from '../unit/deliver/syntheticDicom';

jest.setTimeout(120000);

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describeIf({ tools: ['Orthanc'] })('pacs-ai-node send → a real Orthanc', () => {
  let orthanc: OrthancInstance;
  beforeAll(async () => {
    orthanc = await startOrthanc();
  });
  afterAll(async () => {
    await orthanc?.stop();
  });

  test('walks folders, skips non-DICOM files with a note, stores every instance, exit 0', async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'a', 'b'), { recursive: true });
    const study = writeSyntheticInstance(path.join(dir, 'a'));
    const second = writeSyntheticInstance(path.join(dir, 'a', 'b'), {
      studyInstanceUid: study.studyInstanceUid,
      transferSyntaxUid: '1.2.840.10008.1.2',
    });
    fs.writeFileSync(path.join(dir, 'README.txt'), 'not dicom');
    const out = capture();
    const code = await runSend(
      [dir],
      {
        host: '127.0.0.1',
        port: orthanc.dicomPort,
        calledAet: orthanc.aeTitle,
        callingAet: 'SENDTEST',
        timeout: 10,
      },
      out.stream,
    );
    expect(code).toBe(0);
    expect(out.text()).toContain(`skipped (not DICOM Part 10): ${path.join(dir, 'README.txt')}`);
    expect(out.text()).toMatch(/^sent 2, warnings 0, failed 0, skipped 1 in [\d.]+ s \([\d.]+ images\/s\)$/m);
    const found = await orthanc.post('/tools/lookup', second.sopInstanceUid, 'text/plain');
    const [hit] = JSON.parse(found.body) as Array<{ ID: string }>;
    // Sent as stored: the Implicit VR LE file arrives in Implicit VR LE (no re-encoding).
    const header = await orthanc.get<{ TransferSyntaxUID: string }>(`/instances/${hit!.ID}/header?simplify`);
    expect(header.TransferSyntaxUID).toBe('1.2.840.10008.1.2');
    const stats = await orthanc.get<{ CountInstances: number }>('/statistics');
    expect(stats.CountInstances).toBe(2);
  });

  test('a closed port: every file fails, per-failure lines, exit 1', async () => {
    const dir = tempDir();
    writeSyntheticInstance(dir);
    const out = capture();
    const code = await runSend(
      [dir],
      { host: '127.0.0.1', port: await freePort(), calledAet: 'NOBODY', callingAet: 'SENDTEST', timeout: 5 },
      out.stream,
    );
    expect(code).toBe(1);
    expect(out.text()).toMatch(/^failed: .+\.dcm 2\.25\.\d+ status ----: could not connect/m);
    expect(out.text()).toMatch(/^sent 0, warnings 0, failed 1/m);
  });
});

describeIf({ shared: true, tools: ['Orthanc'] })('pacs-ai-node send: the 172-slice brain MR series', () => {
  test('sends the whole series on one association and reports images/s', async () => {
    const orthanc = await startOrthanc();
    try {
      const out = capture();
      const code = await runSend(
        [BRAIN_SERIES_DIR],
        {
          host: '127.0.0.1',
          port: orthanc.dicomPort,
          calledAet: orthanc.aeTitle,
          callingAet: 'SENDTEST',
          timeout: 30,
        },
        out.stream,
      );
      expect(code).toBe(0);
      const summary = out.text().trim().split('\n').pop()!;
      console.log(`brain series → Orthanc: ${summary}`);
      expect(summary).toMatch(/^sent 172, warnings 0, failed 0/);
      const stats = await orthanc.get<{ CountInstances: number }>('/statistics');
      expect(stats.CountInstances).toBe(172);
    } finally {
      await orthanc.stop();
    }
  });
});
