import { AuditLog, verifyAuditChain, canonicalJson } from '../../../src/audit';
import { openDatabase } from '../../../src/db/openDatabase';
import { FakeClock } from '../../../src/pipeline/clock';

function filled(n: number) {
  const db = openDatabase(':memory:');
  const clock = new FakeClock();
  const audit = new AuditLog(db, clock);
  for (let i = 0; i < n; i++) {
    audit.record({ event: 'test.event', subject: `s${i}`, detail: { i, nested: { b: 2, a: 1 } } });
    clock.advance(1000);
  }
  return { db, audit };
}

/** Tampering as an intruder with SQLite access would: remove the guard trigger, then edit. */
function tamper(db: ReturnType<typeof openDatabase>, sql: string): void {
  db.exec('DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;');
  db.exec(sql);
}

describe('audit hash chain', () => {
  it('verifies an intact chain', () => {
    const { db } = filled(5);
    expect(verifyAuditChain(db)).toEqual({ ok: true, rows: 5, firstBadSeq: null, problem: null });
  });

  it('is append-only: UPDATE and DELETE are refused by the database', () => {
    const { db } = filled(2);
    expect(() => db.exec("UPDATE audit_events SET event = 'x' WHERE seq = 1")).toThrow(/append-only/);
    expect(() => db.exec('DELETE FROM audit_events WHERE seq = 1')).toThrow(/append-only/);
  });

  it('names the first edited row', () => {
    const { db } = filled(5);
    tamper(db, `UPDATE audit_events SET detail = '{"i":99}' WHERE seq = 3`);
    const v = verifyAuditChain(db);
    expect(v.ok).toBe(false);
    expect(v.firstBadSeq).toBe(3);
    expect(v.problem).toMatch(/row 3 .*altered/);
  });

  it('detects a removed row and a re-hashed edit that breaks the link', () => {
    const a = filled(4);
    tamper(a.db, 'DELETE FROM audit_events WHERE seq = 2');
    expect(verifyAuditChain(a.db)).toMatchObject({ ok: false, firstBadSeq: 2 });

    const b = filled(4);
    tamper(b.db, `UPDATE audit_events SET hash = '${'f'.repeat(64)}' WHERE seq = 2`);
    expect(verifyAuditChain(b.db)).toMatchObject({ ok: false, firstBadSeq: 2 });
  });

  it('hashes content canonically, whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
  });
});
