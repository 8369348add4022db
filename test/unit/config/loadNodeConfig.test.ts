import fs from 'node:fs';
import path from 'node:path';
import { loadNodeConfig, parseNodeConfig } from '../../../src/config/loadNodeConfig';
import { ConfigError } from '../../../src/pipeline/errors';
import { tempDir } from '../../helpers/env';

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return [...e.details];
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('node configuration', () => {
  it('gives the embedded defaults when there is no file', () => {
    const c = loadNodeConfig(undefined);
    expect(c.aeTitle).toBe('PACSAI');
    expect(c.dimse.port).toBe(11112);
    expect(c.assembly.seriesQuietSeconds).toBe(30);
    expect(Object.isFrozen(c.dimse)).toBe(true);
  });

  it('writes instances back early every 256 KiB unless storage.writeBackKb says otherwise', () => {
    expect(loadNodeConfig(undefined).storage.writeBackKb).toBe(256);
    expect(parseNodeConfig({ storage: { writeBackKb: 0 } }).storage.writeBackKb).toBe(0);
    const p = problems(() => parseNodeConfig({ storage: { writeBackKb: -1 } }));
    expect(p).toEqual([expect.stringMatching(/^storage\.writeBackKb: /)]);
    expect(problems(() => parseNodeConfig({ storage: { writeBackKb: 1.5 } }))).toHaveLength(1);
  });

  it('lists every problem with its path', () => {
    const p = problems(() =>
      parseNodeConfig({
        aeTitle: 'A_TITLE_MUCH_TOO_LONG',
        dimse: { port: 'x' },
        allowedPeers: [{ aeTitle: 'OK', bogus: 1 }],
      }),
    );
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^aeTitle: .*16 characters/),
        expect.stringMatching(/^dimse\.port: /),
        expect.stringMatching(/^allowedPeers\[0\]: .*bogus/),
      ]),
    );
    expect(p).toHaveLength(3);
  });

  it('lets serve flags override the file', () => {
    const dir = tempDir();
    const file = path.join(dir, 'node.yaml');
    fs.writeFileSync(file, 'aeTitle: FROMFILE\ndimse:\n  port: 104\n');
    const c = loadNodeConfig(file, {
      port: 4242,
      aeTitle: 'FLAG',
      seriesQuietSeconds: 5,
      destinations: { pacs: 'dimse://PACS@127.0.0.1:4243' },
    });
    expect(c.aeTitle).toBe('FLAG');
    expect(c.dimse.port).toBe(4242);
    expect(c.assembly.seriesQuietSeconds).toBe(5);
    expect(c.destinations.pacs?.url).toBe('dimse://PACS@127.0.0.1:4243');
  });

  it('reports YAML syntax errors with their line', () => {
    const dir = tempDir();
    const file = path.join(dir, 'node.yaml');
    fs.writeFileSync(file, 'aeTitle: [unclosed\n');
    expect(problems(() => loadNodeConfig(file))[0]).toMatch(/^line \d+: /);
  });
});
