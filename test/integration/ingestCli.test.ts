import fs from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { auditVerify } from '../../src/cli/auditCommand';
import { main } from '../../src/cli/main';
import { seriesList } from '../../src/cli/seriesCommand';
import type { PeerInfo } from '../../src/pipeline/types';
import { tempDir } from '../helpers/env';
import { syntheticPart10 } from '../unit/store/syntheticInstance';
import { startTestNode } from './ingestHarness';

/** Captures what a CLI function writes. */
function capture(): { io: { out: Writable; err: Writable }; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        f(chunk.toString());
        cb();
      },
    });
  return {
    io: { out: sink((s) => (out += s)), err: sink((s) => (err += s)) },
    out: () => out,
    err: () => err,
  };
}

const peer: PeerInfo = {
  callingAeTitle: 'STOW-RS',
  calledAeTitle: 'PACSAI',
  peerAddress: '127.0.0.1',
  associationId: 'req-1',
};

describe('series list, audit verify, serve configuration errors', () => {
  let dataDir: string;
  let studyUid: string;
  let seriesUid: string;

  beforeAll(async () => {
    dataDir = tempDir('pacs-ai-node-cli-');
    const node = await startTestNode({}, dataDir);
    const first = syntheticPart10({ instanceNumber: 1 });
    studyUid = String(first.dataset.StudyInstanceUID);
    seriesUid = String(first.dataset.SeriesInstanceUID);
    await node.app.store.storePart10Stream(Readable.from([first.bytes]), peer, 'stow');
    for (let i = 2; i <= 3; i++) {
      const { bytes } = syntheticPart10({
        instanceNumber: i,
        studyInstanceUid: studyUid,
        seriesInstanceUid: seriesUid,
      });
      await node.app.store.storePart10Stream(Readable.from([bytes]), peer, 'stow');
    }
    await node.stop();
  }, 30_000);

  test('series list --json: one object per series', () => {
    const c = capture();
    expect(seriesList({ dataDir, json: true }, c.io)).toBe(0);
    const rows = c
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows).toEqual([
      {
        studyInstanceUid: studyUid,
        seriesInstanceUid: seriesUid,
        modality: 'CT',
        instances: 3,
        state: 'receiving',
      },
    ]);
  });

  test('audit verify: intact, then an edited row is named', () => {
    const ok = capture();
    expect(auditVerify({ dataDir }, ok.io)).toBe(0);
    expect(ok.out()).toMatch(/intact: \d+ rows/);

    const db = new Database(path.join(dataDir, 'pacs-ai-node.sqlite'));
    const target = db
      .prepare(`SELECT seq FROM audit_events WHERE event = 'instance.stored' ORDER BY seq LIMIT 1 OFFSET 1`)
      .get() as { seq: number };
    db.exec('DROP TRIGGER audit_events_no_update');
    db.prepare(`UPDATE audit_events SET detail = '{"forged":true}' WHERE seq = ?`).run(target.seq);
    db.close();

    const bad = capture();
    expect(auditVerify({ dataDir }, bad.io)).toBe(1);
    expect(bad.err()).toContain(`row ${target.seq}`);
    expect(bad.err()).toContain('instance.stored');
  });

  test('serve with an invalid configuration lists every problem with its path and exits non-zero', async () => {
    const file = path.join(tempDir('pacs-ai-node-cfg-'), 'node.yaml');
    fs.writeFileSync(
      file,
      'dimse:\n  port: "eleven"\n  maxPduLength: 10\nallowedPeers:\n  - host: 10.0.0.1\n',
    );
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      written.push(String(s));
      return true;
    });
    try {
      expect(await main(['serve', '--config', file])).toBe(1);
    } finally {
      spy.mockRestore();
    }
    const text = written.join('');
    expect(text).toContain('dimse.port');
    expect(text).toContain('dimse.maxPduLength');
    expect(text).toContain('allowedPeers[0].aeTitle');
  });

  test('the shipped config/node.yaml is valid', async () => {
    const { loadNodeConfig } = await import('../../src/config/loadNodeConfig');
    const cfg = loadNodeConfig(path.resolve(__dirname, '..', '..', 'config', 'node.yaml'));
    expect(cfg.aeTitle).toBeTruthy();
  });
});
