import { Router } from 'express';
import { requireRole } from './bearerAuth';
import { readinessChecks } from './healthRoutes';
import type { HttpDeps } from './httpDeps';
import { tableExists } from './tableExists';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(v: unknown): string {
  return String(v ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

function table(caption: string, id: string, head: string[], rows: unknown[][]): string {
  const body = rows.length
    ? rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n')
    : `<tr><td colspan="${head.length}">none</td></tr>`;
  return `<section id="${escapeHtml(id)}"><h2>${escapeHtml(caption)}</h2><table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>
${body}
</tbody></table></section>`;
}

function seconds(fromIso: string | null, toIso: string | null): string {
  if (!fromIso || !toIso) return '';
  const s = (Date.parse(toIso) - Date.parse(fromIso)) / 1000;
  return Number.isFinite(s) ? `${s.toFixed(1)} s` : '';
}

function describeModel(m: unknown): string {
  if (m && typeof m === 'object') {
    const o = m as Record<string, unknown>;
    const name = o.id ?? o.name ?? '';
    const version = o.version ? ` ${String(o.version)}` : '';
    const state = o.state ?? o.status ?? (o.enabled === false ? 'disabled' : '');
    return `${String(name)}${version}${state ? ` (${String(state)})` : ''}`;
  }
  return String(m);
}

/** Renders the read-only status page: plain HTML, everything escaped, no script. */
export async function renderStatusPage(deps: HttpDeps): Promise<string> {
  const db = deps.db;
  const counts = db
    .prepare(
      `SELECT (SELECT COUNT(*) FROM series) AS series, (SELECT COUNT(*) FROM instances) AS instances, (SELECT COUNT(*) FROM jobs) AS jobs`,
    )
    .get() as Record<string, number>;
  const jobStates = db
    .prepare('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state ORDER BY state')
    .all() as Array<{ state: string; n: number }>;
  const recentSeries = db
    .prepare(
      'SELECT series_instance_uid, modality, state, instance_count, calling_ae_title, last_received_at FROM series ORDER BY last_received_at DESC LIMIT 20',
    )
    .all() as Array<Record<string, unknown>>;
  const recentJobs = db
    .prepare(
      'SELECT id, series_instance_uid, state, rules_version, created_at, updated_at, last_instance_at FROM jobs ORDER BY created_at DESC LIMIT 20',
    )
    .all() as Array<Record<string, string | null>>;
  const failed = db
    .prepare(
      `SELECT id, series_instance_uid, failed_from, error, updated_at FROM jobs WHERE state = 'failed' ORDER BY updated_at DESC LIMIT 20`,
    )
    .all() as Array<Record<string, unknown>>;
  const hasDeliveries = tableExists(db, 'deliveries');
  const deliveryStates = hasDeliveries
    ? (db
        .prepare('SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state ORDER BY state')
        .all() as Array<{ state: string; n: number }>)
    : [];
  const dead = hasDeliveries
    ? (db
        .prepare(
          `SELECT id, destination, sop_instance_uid, attempts, last_message, updated_at FROM deliveries WHERE state = 'dead' ORDER BY updated_at DESC LIMIT 20`,
        )
        .all() as Array<Record<string, unknown>>)
    : [];
  let models: unknown[] = [];
  try {
    models = await deps.models.list();
  } catch {
    models = ['(models unavailable)'];
  }
  const checks = await readinessChecks(deps);
  const rulesVersion = deps.rules.currentVersion();
  const scheduled = deps.scheduledJobs?.() ?? [];
  const ready = checks.every((c) => c.ok);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pacs-ai-node status</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}table{border-collapse:collapse;margin-bottom:1rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;font-size:.9rem}th{background:#f3f3f3}.ok{color:#176117}.bad{color:#a31515}dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}</style>
</head><body>
<h1>pacs-ai-node <span class="${ready ? 'ok' : 'bad'}" id="readiness">${ready ? 'ready' : 'not ready'}</span></h1>
<dl id="summary">
<dt>AE title</dt><dd>${escapeHtml(deps.config.aeTitle)}</dd>
<dt>Rules version</dt><dd id="rules-version">${escapeHtml(rulesVersion ?? 'none loaded')}</dd>
<dt>Series</dt><dd id="count-series">${escapeHtml(counts.series)}</dd>
<dt>Instances</dt><dd id="count-instances">${escapeHtml(counts.instances)}</dd>
<dt>Jobs</dt><dd id="count-jobs">${escapeHtml(counts.jobs)}</dd>
<dt>Generated</dt><dd>${escapeHtml(new Date(deps.clock.now()).toISOString())}</dd>
</dl>
${table(
  'Readiness',
  'checks',
  ['check', 'ok', 'detail'],
  checks.map((c) => [c.name, c.ok ? 'yes' : 'NO', c.detail]),
)}
${table(
  'Jobs by state',
  'job-states',
  ['state', 'jobs'],
  jobStates.map((s) => [s.state, s.n]),
)}
${table(
  'Recent series',
  'recent-series',
  ['Series Instance UID', 'modality', 'state', 'instances', 'from', 'last received'],
  recentSeries.map((s) => [
    s.series_instance_uid,
    s.modality,
    s.state,
    s.instance_count,
    s.calling_ae_title,
    s.last_received_at,
  ]),
)}
${table(
  'Recent jobs',
  'recent-jobs',
  ['job', 'Series Instance UID', 'state', 'rules version', 'created', 'time to result'],
  recentJobs.map((j) => [
    j.id,
    j.series_instance_uid,
    j.state,
    j.rules_version ?? '',
    j.created_at,
    j.state === 'delivered' ? seconds(j.last_instance_at ?? null, j.updated_at ?? null) : '',
  ]),
)}
${table(
  'Failed jobs',
  'failed-jobs',
  ['job', 'Series Instance UID', 'failed in', 'error', 'at'],
  failed.map((f) => [f.id, f.series_instance_uid, f.failed_from, f.error, f.updated_at]),
)}
${table(
  'Deliveries by state',
  'delivery-states',
  ['state', 'deliveries'],
  deliveryStates.map((s) => [s.state, s.n]),
)}
${table(
  'Dead letters',
  'dead-letters',
  ['delivery', 'destination', 'SOP Instance UID', 'attempts', 'last message', 'at'],
  dead.map((d) => [d.id, d.destination, d.sop_instance_uid, d.attempts, d.last_message, d.updated_at]),
)}
${table(
  'Models',
  'models',
  ['model'],
  models.map((m) => [describeModel(m)]),
)}
${table(
  'Scheduled jobs',
  'scheduled-jobs',
  ['job', 'schedule', 'last run', 'outcome', 'message'],
  scheduled.map((s) => [
    s.name,
    s.schedule,
    s.lastStartedAt ?? 'never',
    s.lastOutcome ?? '',
    s.lastMessage ?? '',
  ]),
)}
</body></html>
`;
}

/** GET / : the status page for admins (HTTP Basic with the token as password when tokens are set). */
export function statusPageRoutes(deps: HttpDeps): Router {
  const r = Router();
  r.get('/', requireRole(deps.config.http.tokens, 'admin', 'Basic'), async (_req, res) => {
    res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    res.type('text/html').send(await renderStatusPage(deps));
  });
  return r;
}
