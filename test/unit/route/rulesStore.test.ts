import fs from 'node:fs';
import path from 'node:path';
import type { AuditEventInput, AuditSink } from '../../../src/pipeline/audit';
import { FakeClock } from '../../../src/pipeline/clock';
import { NodeError } from '../../../src/pipeline/errors';
import { silentLogger } from '../../../src/logging/logger';
import { RulesStore, rulesVersion, type RulesContext } from '../../../src/route';
import { tempDir } from '../../helpers/env';

const ctx: RulesContext = { modelIds: ['brain-gwm'], destinationNames: ['results'] };

const V1 = `version: 1
rules:
  - id: brain
    when: { attr: Modality, equals: MR }
    then: { run: [brain-gwm], deliver: [results] }
  - id: ct
    when: { attr: Modality, equals: CT }
    then: { forward: [results] }
`;
const V2 = `version: 1
rules:
  - id: brain
    when: { attr: Modality, in: [MR] }
    then: { run: [brain-gwm], deliver: [results] }
  - id: pet
    when: { attr: Modality, equals: PT }
    then: { forward: [results] }
`;
const INVALID = `version: 1
rules:
  - id: brain
    when: { attr: Modalty, equals: MR }
    then: { run: [brain-gwm], deliver: [results] }
`;

class RecordingAudit implements AuditSink {
  events: AuditEventInput[] = [];
  record(e: AuditEventInput): void {
    this.events.push(e);
  }
}

function setup(text = V1) {
  const dir = tempDir();
  const file = path.join(dir, 'rules.yaml');
  fs.writeFileSync(file, text);
  const audit = new RecordingAudit();
  const clock = new FakeClock();
  const store = new RulesStore({ file, context: ctx, audit, clock, logger: silentLogger, debounceMs: 300 });
  return { dir, file, audit, clock, store };
}

describe('RulesStore', () => {
  it('loads the file, audits rules.loaded, and exposes the version', () => {
    const { store, audit } = setup();
    expect(store.current().version).toBe(rulesVersion(V1));
    expect(audit.events).toEqual([
      {
        event: 'rules.loaded',
        actor: 'node',
        subject: rulesVersion(V1),
        detail: { file: 'rules.yaml', version: rulesVersion(V1), rules: ['brain', 'ct'] },
      },
    ]);
  });

  it('refuses to start on an invalid or missing file', () => {
    expect(() => setup(INVALID)).toThrow(NodeError);
    try {
      setup(INVALID);
    } catch (e) {
      expect((e as NodeError).code).toBe('RULES_INVALID');
      expect((e as NodeError).details).toEqual(['rules[0].when.attr: unknown DICOM keyword "Modalty"']);
    }
    const dir = tempDir();
    expect(
      () =>
        new RulesStore({
          file: path.join(dir, 'absent.yaml'),
          context: ctx,
          audit: new RecordingAudit(),
          clock: new FakeClock(),
          logger: silentLogger,
        }),
    ).toThrow(/cannot be read/);
  });

  it('swaps a valid new version in and audits its version and diff', () => {
    const { store, audit, file } = setup();
    const held = store.current();
    fs.writeFileSync(file, V2);
    const out = store.reload('admin-token');
    expect(out).toEqual({ ok: true, version: rulesVersion(V2), problems: [], changed: true });
    expect(store.current().version).toBe(rulesVersion(V2));
    expect(held.version).toBe(rulesVersion(V1)); // a job keeps the set it got
    expect(audit.events.at(-1)).toEqual({
      event: 'rules.reloaded',
      actor: 'admin-token',
      subject: rulesVersion(V2),
      detail: {
        file: 'rules.yaml',
        version: rulesVersion(V2),
        previousVersion: rulesVersion(V1),
        added: ['pet'],
        removed: ['ct'],
        changed: ['brain'],
      },
    });
  });

  it('refuses an invalid version, audits the reasons, and keeps routing with the old one', () => {
    const { store, audit, file } = setup();
    fs.writeFileSync(file, INVALID);
    const out = store.reload();
    expect(out).toEqual({
      ok: false,
      version: rulesVersion(V1),
      problems: ['rules[0].when.attr: unknown DICOM keyword "Modalty"'],
      changed: false,
    });
    expect(store.current().version).toBe(rulesVersion(V1));
    expect(audit.events.at(-1)).toEqual({
      event: 'rules.rejected',
      actor: 'node',
      subject: rulesVersion(INVALID),
      detail: {
        file: 'rules.yaml',
        version: rulesVersion(INVALID),
        currentVersion: rulesVersion(V1),
        problems: ['rules[0].when.attr: unknown DICOM keyword "Modalty"'],
      },
    });
    fs.rmSync(file);
    expect(store.reload()).toMatchObject({
      ok: false,
      version: rulesVersion(V1),
      problems: ['cannot read rules.yaml: ENOENT'],
    });
    expect(store.current().version).toBe(rulesVersion(V1));
  });

  it('an unchanged file is not swapped and not audited again', () => {
    const { store, audit } = setup();
    expect(store.reload()).toEqual({ ok: true, version: rulesVersion(V1), problems: [], changed: false });
    expect(audit.events.map((e) => e.event)).toEqual(['rules.loaded']);
  });

  it('debounces file events on the injected clock: one reload after the last event', () => {
    const { store, audit, file, clock } = setup();
    fs.writeFileSync(file, INVALID); // half-written state the editor passes through
    store.trigger();
    clock.advance(200);
    fs.writeFileSync(file, V2);
    store.trigger();
    clock.advance(299);
    expect(audit.events.map((e) => e.event)).toEqual(['rules.loaded']);
    expect(store.current().version).toBe(rulesVersion(V1));
    clock.advance(1);
    expect(audit.events.map((e) => e.event)).toEqual(['rules.loaded', 'rules.reloaded']);
    expect(audit.events.at(-1)!.actor).toBe('file-watch');
    expect(store.current().version).toBe(rulesVersion(V2));
    expect(clock.pending()).toBe(0);
  });

  it('an invalid file seen by the watcher is rejected and the old rules keep routing', () => {
    const { store, audit, file, clock } = setup();
    fs.writeFileSync(file, INVALID);
    store.trigger();
    clock.advance(300);
    expect(audit.events.map((e) => e.event)).toEqual(['rules.loaded', 'rules.rejected']);
    expect(store.current().version).toBe(rulesVersion(V1));
  });

  it('asks a context function again at each reload: a model installed later can be used', () => {
    const dir = tempDir();
    const file = path.join(dir, 'rules.yaml');
    fs.writeFileSync(file, V1);
    const modelIds = ['brain-gwm'];
    const store = new RulesStore({
      file,
      context: () => ({ modelIds: [...modelIds], destinationNames: ['results'] }),
      audit: new RecordingAudit(),
      clock: new FakeClock(),
      logger: silentLogger,
    });
    fs.writeFileSync(file, V1.replace('run: [brain-gwm]', 'run: [brain-gwm, new-model]'));
    expect(store.reload().problems).toEqual([
      'rules[0].then.run[1]: unknown model "new-model" (models: brain-gwm)',
    ]);
    modelIds.push('new-model');
    expect(store.reload()).toMatchObject({ ok: true, changed: true });
  });

  it('close() cancels a pending reload', () => {
    const { store, audit, file, clock } = setup();
    fs.writeFileSync(file, V2);
    store.trigger();
    store.close();
    clock.advance(1000);
    expect(audit.events.map((e) => e.event)).toEqual(['rules.loaded']);
  });

  it('watch() turns a real change of the file into a debounced reload', async () => {
    const { store, file, clock } = setup();
    store.watch();
    try {
      fs.writeFileSync(file, V2);
      // Waiting on the operating system's file event (bounded), not on our own timing.
      const deadline = Date.now() + 5000;
      while (clock.pending() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(clock.pending()).toBe(1);
      clock.advance(300);
      expect(store.current().version).toBe(rulesVersion(V2));
    } finally {
      store.close();
    }
  }, 10_000);
});
