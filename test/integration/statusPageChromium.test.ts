import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { createHttpApp, startHttpServer, type RunningHttpServer } from '../../src/api';
import { describeIf } from '../helpers/env';
import { ADMIN_TOKEN, makeKit, multipartBody, syntheticPart10, type Kit } from '../unit/api/apiTestKit';

jest.setTimeout(90000);

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(__dirname, '..', '..', 'test-artifacts');

describeIf({ tools: ['chromium'] })('status page in headless Chromium', () => {
  let kit: Kit;
  let server: RunningHttpServer;
  let browser: Browser;
  let base: string;
  const seriesUid = '1.2.826.0.1.3680043.10.902.1.1';

  beforeAll(async () => {
    kit = makeKit({ tokens: true });
    server = await startHttpServer(createHttpApp(kit.deps), '127.0.0.1', 0);
    base = `http://127.0.0.1:${server.port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      // launch() gives Chromium a fresh, empty profile directory of its own (no --user-data-dir).
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows a series just received over STOW-RS, without JavaScript, and saves a screenshot', async () => {
    const m = multipartBody([
      syntheticPart10({
        studyInstanceUid: '1.2.826.0.1.3680043.10.902.1',
        seriesInstanceUid: seriesUid,
        sopInstanceUid: `${seriesUid}.1`,
      }),
      syntheticPart10({
        studyInstanceUid: '1.2.826.0.1.3680043.10.902.1',
        seriesInstanceUid: seriesUid,
        sopInstanceUid: `${seriesUid}.2`,
        instanceNumber: 2,
      }),
    ]);
    const stow = await fetch(`${base}/dicomweb/studies`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': m.contentType },
      body: m.body,
    });
    expect(stow.status).toBe(200);

    const denied = await fetch(`${base}/`);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toMatch(/^Basic/);

    const context = await browser.newContext({
      javaScriptEnabled: false,
      httpCredentials: { username: 'ops', password: ADMIN_TOKEN },
      viewport: { width: 1280, height: 1000 },
    });
    const page = await context.newPage();
    const res = await page.goto(`${base}/`);
    expect(res?.status()).toBe(200);
    expect(await page.title()).toBe('pacs-ai-node status');
    const seriesRow = page.locator('#recent-series tbody tr').first();
    expect(await seriesRow.locator('td').first().textContent()).toBe(seriesUid);
    expect(await seriesRow.locator('td').nth(3).textContent()).toBe('2');
    expect(await page.locator('#count-instances').textContent()).toBe('2');
    expect(await page.locator('#rules-version').textContent()).toBe('v1');
    expect(await page.locator('#readiness').textContent()).toBe('ready');
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const shot = path.join(ARTIFACTS, 'status-page.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(fs.statSync(shot).size).toBeGreaterThan(1000);
    await context.close();
  });
});
