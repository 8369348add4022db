import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { readPart10Meta } from '../../src/dicom/dimse';
import type { EncodedObject } from '../../src/pipeline/types';
import { BRAIN_SERIES_DIR, describeIf } from '../helpers/env';
import { startOrthanc } from '../helpers/orthanc';
import { testDeliveryService } from './testDeliveryService';

jest.setTimeout(120000);

/** The pid of the process listening on a loopback port (ss -ltnp). */
function orthancPid(port: number): number {
  const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
  const m = /pid=(\d+)/.exec(out);
  if (!m) throw new Error(`no process listens on ${port}: ${out}`);
  return Number(m[1]);
}

describeIf({ shared: true, tools: ['Orthanc', 'ss'] })(
  'Orthanc stopped in the middle of a delivery (172-slice MR series)',
  () => {
    test('stored instances stay delivered, the interrupted rest is retried and delivered once Orthanc is back', async () => {
      const orthanc = await startOrthanc();
      try {
        const files = fs
          .readdirSync(BRAIN_SERIES_DIR)
          .filter((f) => f.endsWith('.dcm'))
          .sort()
          .map((f) => path.join(BRAIN_SERIES_DIR, f));
        const objects: EncodedObject[] = [];
        for (const file of files) {
          const m = await readPart10Meta(file);
          objects.push({
            kind: 'SC',
            sopClassUid: m.sopClassUid,
            sopInstanceUid: m.sopInstanceUid,
            transferSyntaxUid: m.transferSyntaxUid,
            studyInstanceUid: '2.25.1',
            seriesInstanceUid: '2.25.2',
            filePath: file,
            modelId: 'forward',
            modelVersion: '1',
          });
        }
        const { svc, db, clock } = testDeliveryService(
          {
            pacs: {
              url: `dimse://${orthanc.aeTitle}@127.0.0.1:${orthanc.dicomPort}`,
              initialBackoffSeconds: 10,
            },
          },
          { random: () => 0, batchSize: 200 },
        );
        svc.enqueue(objects, ['pacs']);
        const round = svc.processDue();
        // Stop Orthanc as soon as it holds the first instances (real time; the outbox uses the FakeClock).
        for (let i = 0; i < 500; i++) {
          const stats = await orthanc
            .get<{ CountInstances: number }>('/statistics')
            .catch(() => ({ CountInstances: 0 }));
          if (stats.CountInstances > 0) break;
          await new Promise((r) => setTimeout(r, 5));
        }
        // A crash, not a graceful stop (Orthanc would finish the association first): SIGKILL the
        // Orthanc this test started, found by its listening port.
        process.kill(orthancPid(orthanc.dicomPort), 'SIGKILL');
        const first = await round;
        await orthanc.stop();
        const stored = first.filter((o) => o.status === 'success').length;
        const interrupted = first.filter((o) => o.status === 'failure');
        console.log(`first round: ${stored} stored, ${interrupted.length} interrupted`);
        expect(interrupted.length).toBeGreaterThan(0);
        expect(interrupted.every((o) => o.retryable)).toBe(true);
        expect(svc.list({ state: 'pending' })).toHaveLength(interrupted.length);

        await orthanc.restart();
        clock.advance(5000);
        const second = await svc.processDue();
        expect(second).toHaveLength(interrupted.length);
        expect(second.every((o) => o.status === 'success')).toBe(true);
        expect(svc.list({ state: 'delivered' })).toHaveLength(172);
        const st = await orthanc.get<{ CountInstances: number }>('/statistics');
        expect(st.CountInstances).toBe(172);
        // Each row delivered exactly once: one delivery.delivered event per row.
        const delivered = db
          .prepare(
            `SELECT subject, COUNT(*) AS n FROM audit_events WHERE event = 'delivery.delivered' GROUP BY subject`,
          )
          .all() as Array<{ n: number }>;
        expect(delivered).toHaveLength(172);
        expect(delivered.every((r) => r.n === 1)).toBe(true);
      } finally {
        await orthanc.stop();
      }
    });
  },
);
