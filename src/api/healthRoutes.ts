import { Router } from 'express';
import type { HttpDeps, ReadinessCheck } from './httpDeps';
import { diskFreeBytes } from './diskFreeBytes';

/** Every readiness check: database, disk watermark, rules, audit chain, and the injected probes. */
export async function readinessChecks(deps: HttpDeps): Promise<ReadinessCheck[]> {
  const checks: ReadinessCheck[] = [];
  try {
    deps.db.prepare('SELECT 1').get();
    checks.push({ name: 'database', ok: deps.db.open, detail: deps.db.open ? 'open' : 'closed' });
  } catch (e) {
    checks.push({ name: 'database', ok: false, detail: (e as Error).message });
  }
  const free = await (deps.diskFreeBytes ?? (() => diskFreeBytes(deps.config.dataDir)))();
  const minBytes = deps.config.storage.minFreeMb * 1024 * 1024;
  checks.push(
    free === null
      ? { name: 'disk', ok: false, detail: 'free space unknown' }
      : {
          name: 'disk',
          ok: free >= minBytes,
          detail: `${Math.floor(free / 1048576)} MiB free, watermark ${deps.config.storage.minFreeMb} MiB`,
        },
  );
  const version = safe(() => deps.rules.currentVersion(), null);
  checks.push({
    name: 'rules',
    ok: version !== null,
    detail: version ? `version ${version}` : 'no rules loaded',
  });
  const chain = safe(() => deps.auditChain(), null);
  checks.push(
    chain === null
      ? { name: 'audit-chain', ok: true, detail: 'not checked yet' }
      : {
          name: 'audit-chain',
          ok: chain.ok,
          detail: chain.ok ? 'intact' : `broken at row ${chain.firstBadSeq}: ${chain.problem}`,
        },
  );
  for (const c of safe(
    () => deps.readiness?.() ?? [],
    [{ name: 'probes', ok: false, detail: 'a readiness probe threw' }],
  ))
    checks.push(c);
  return checks;
}

function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

/** GET /healthz (the process answers) and GET /readyz (503 with the failing checks). */
export function healthRoutes(deps: HttpDeps): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    const checks = await readinessChecks(deps);
    const failing = checks.filter((c) => !c.ok);
    res
      .status(failing.length ? 503 : 200)
      .json({ status: failing.length ? 'not-ready' : 'ready', checks, failing: failing.map((c) => c.name) });
  });
  return r;
}
