import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { createApp, type App } from '../../src/app';
import { parseNodeConfig } from '../../src/config/loadNodeConfig';
import { silentLogger } from '../../src/logging/logger';
import { DICOM_DIR, dcmtkEnv, describeIf, tempDir } from '../helpers/env';

const run = promisify(execFile);

/**
 * The node as `serve` builds it (src/app.ts): DIMSE and HTTP on one process, the metrics and
 * readiness the HTTP edge reports fed by the DIMSE side. Real DCMTK peers on loopback.
 */
describeIf({ shared: true, tools: ['echoscu', 'storescu'] })(
  'serve wiring: DIMSE events reach metrics, readiness and QIDO-RS',
  () => {
    let app: App;
    let dimsePort: number;
    let base: string;

    beforeAll(async () => {
      const config = parseNodeConfig({
        dataDir: tempDir('wiring-'),
        dimse: { host: '127.0.0.1', port: 0 },
        http: { port: 0 },
        storage: { minFreeMb: 0 },
      });
      app = createApp({ config, logger: silentLogger });
      const ports = await app.start();
      dimsePort = ports.dimsePort;
      base = `http://127.0.0.1:${ports.httpPort}`;
    }, 60_000);

    afterAll(async () => {
      await app?.stop();
    }, 60_000);

    it('is ready once DIMSE listens, with the shipped rules loaded', async () => {
      const r = await fetch(`${base}/readyz`);
      expect(r.status).toBe(200);
      const body = (await r.json()) as { checks: Array<{ name: string; ok: boolean }> };
      expect(body.checks.find((c) => c.name === 'dimse')).toMatchObject({ ok: true });
      expect(body.checks.find((c) => c.name === 'rules')).toMatchObject({ ok: true });
    });

    it('counts a rejected association by reason and a received instance by SOP class and peer', async () => {
      await expect(
        run('echoscu', ['-aec', 'NOT-OURS', '127.0.0.1', String(dimsePort)], { env: dcmtkEnv() }),
      ).rejects.toBeDefined();
      const file = path.join(DICOM_DIR, 'dcm_qa_ts', 'In', '1.dcm');
      await run(
        'storescu',
        ['-aet', 'MODALITY', '-aec', app.config.aeTitle, '127.0.0.1', String(dimsePort), file],
        {
          env: dcmtkEnv(),
        },
      );
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(/pacs_associations_rejected_total\{reason="[a-z-]*called[a-z-]*"\} 1/);
      expect(metrics).toMatch(
        /pacs_instances_received_total\{sop_class_uid="1\.2\.840\.10008\.5\.1\.4\.1\.1\.4",calling_ae_title="MODALITY"\} 1/,
      );

      // The instance received over DIMSE is visible through DICOMweb.
      const qido = await fetch(`${base}/dicomweb/instances`);
      expect(qido.status).toBe(200);
      expect(((await qido.json()) as unknown[]).length).toBe(1);
    }, 60_000);
  },
);
