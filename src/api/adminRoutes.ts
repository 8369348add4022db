import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { SeriesRepository } from '../db/seriesRepository';
import { parseDicomHeader, readDicomHeader } from '../dicom/readDicomHeader';
import { str } from '../dicom/datasetValues';
import type { NaturalDataset } from '../dicom/dcmjs';
import { NodeError, NotFoundError } from '../pipeline/errors';
import { JOB_STATES } from '../pipeline/jobState';
import { principalOf, requireRole } from './bearerAuth';
import type { DicomWebIndex } from './dicomWebIndex';
import type { HttpDeps } from './httpDeps';
import { parseContentType, parseMultipartRelated, readAll } from './multipartRelated';
import { HttpStatusError } from './problemDetails';

const page = {
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
};
const seriesQuery = z
  .object({
    state: z.enum(['receiving', 'complete']).optional(),
    studyInstanceUid: z.string().max(64).optional(),
    ...page,
  })
  .strict();
const jobsQuery = z
  .object({ state: z.enum(JOB_STATES).optional(), seriesInstanceUid: z.string().max(64).optional(), ...page })
  .strict();
const auditQuery = z
  .object({
    /** A sequence number (rows after it) or an ISO 8601 time (rows at or after it). */
    since: z
      .string()
      .refine(
        (s) => /^\d+$/.test(s) || !Number.isNaN(Date.parse(s)),
        'since is a sequence number or an ISO 8601 time',
      )
      .optional(),
    event: z.string().max(100).optional(),
    subject: z.string().max(100).optional(),
    ...page,
  })
  .strict();
const deliveriesQuery = z
  .object({ state: z.enum(['pending', 'in_flight', 'delivered', 'dead']).optional(), ...page })
  .strict();
const jobIdParam = z.object({ id: z.string().min(1).max(100) });
const explainJson = z.object({ seriesInstanceUid: z.string().min(1).max(64) }).strict();

/** Largest DICOM body accepted by /api/rules/explain (headers are all it needs). */
const EXPLAIN_MAX_BYTES = 256 * 1024 * 1024;

interface AuditEventView {
  seq: number;
  at: string;
  event: string;
  actor: string;
  correlationId: string | null;
  subject: string | null;
  detail: unknown;
}

function auditView(r: {
  seq: number;
  at: string;
  event: string;
  actor: string;
  correlation_id: string | null;
  subject: string | null;
  detail: string;
}): AuditEventView {
  return {
    seq: r.seq,
    at: r.at,
    event: r.event,
    actor: r.actor,
    correlationId: r.correlation_id,
    subject: r.subject,
    detail: JSON.parse(r.detail) as unknown,
  };
}

/** Series headers grouped by Series Instance UID, in arrival order. */
function groupBySeries(datasets: NaturalDataset[]): NaturalDataset[][] {
  const groups = new Map<string, NaturalDataset[]>();
  for (const ds of datasets) {
    const k = str(ds, 'SeriesInstanceUID') ?? '';
    const g = groups.get(k);
    if (g) g.push(ds);
    else groups.set(k, [ds]);
  }
  return [...groups.values()];
}

/**
 * The admin API under /api (PRODUCT.md 7): series, jobs, audit, rules, models, deliveries and
 * scheduled jobs. Reads need the read role, changes the admin role; every POST is audited with
 * the token's name as actor.
 */
export function adminRoutes(deps: HttpDeps, index: DicomWebIndex): Router {
  const r = Router();
  const tokens = deps.config.http.tokens;
  const read = requireRole(tokens, 'read');
  const admin = requireRole(tokens, 'admin');
  const seriesRepo = new SeriesRepository(deps.db);
  const audited = (
    res: Response,
    event: string,
    subject: string | null,
    detail: Record<string, unknown>,
  ): void => deps.audit.record({ event, actor: principalOf(res).name, subject, detail });

  r.get('/series', read, (req, res) => {
    const q = seriesQuery.parse(req.query);
    res.json({ items: seriesRepo.list(q), limit: q.limit, offset: q.offset });
  });

  r.get('/jobs', read, (req, res) => {
    const q = jobsQuery.parse(req.query);
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.state) {
      where.push('state = ?');
      args.push(q.state);
    }
    if (q.seriesInstanceUid) {
      where.push('series_instance_uid = ?');
      args.push(q.seriesInstanceUid);
    }
    const rows = deps.db
      .prepare(
        `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id LIMIT ? OFFSET ?`,
      )
      .all(...args, q.limit, q.offset) as Array<Record<string, unknown> & { detail: string }>;
    res.json({
      items: rows.map((j) => ({ ...j, detail: JSON.parse(j.detail) as unknown })),
      limit: q.limit,
      offset: q.offset,
    });
  });

  r.get('/jobs/:id', read, (req, res) => {
    const { id } = jobIdParam.parse(req.params);
    const job = deps.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as
      (Record<string, unknown> & { detail: string; rules_version: string | null }) | undefined;
    if (!job) throw new NotFoundError(`no job ${id}`);
    const events = (
      deps.db.prepare('SELECT * FROM audit_events WHERE subject = ? ORDER BY seq').all(id) as Parameters<
        typeof auditView
      >[0][]
    ).map(auditView);
    res.json({
      ...job,
      detail: JSON.parse(job.detail) as unknown,
      rulesVersion: job.rules_version,
      auditEvents: events,
    });
  });

  r.get('/audit', read, (req, res) => {
    const q = auditQuery.parse(req.query);
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.since !== undefined) {
      if (/^\d+$/.test(q.since)) {
        where.push('seq > ?');
        args.push(Number(q.since));
      } else {
        where.push('at >= ?');
        args.push(new Date(q.since).toISOString());
      }
    }
    if (q.event) {
      where.push('event = ?');
      args.push(q.event);
    }
    if (q.subject) {
      where.push('subject = ?');
      args.push(q.subject);
    }
    const rows = deps.db
      .prepare(
        `SELECT * FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT ? OFFSET ?`,
      )
      .all(...args, q.limit, q.offset) as Parameters<typeof auditView>[0][];
    res.json({ items: rows.map(auditView), limit: q.limit, offset: q.offset });
  });

  const yamlBody = express.text({ type: ['text/*', 'application/yaml', 'application/x-yaml'], limit: '1mb' });
  r.post('/rules/check', read, yamlBody, (req, res) => {
    if (typeof req.body !== 'string')
      throw new HttpStatusError(415, 'send the rules as a YAML body (Content-Type: application/yaml)');
    const result = deps.rules.check(req.body);
    audited(res, 'api.rules.checked', null, { ok: result.ok, problems: result.problems.length });
    res.json(result);
  });

  r.post('/rules/explain', read, async (req, res) => {
    const datasets = await explainInputs(req, seriesRepo, index);
    const series = groupBySeries(datasets);
    const result = deps.rules.explain(series);
    audited(res, 'api.rules.explained', null, {
      series: series.length,
      instances: datasets.length,
      rulesVersion: deps.rules.currentVersion(),
    });
    res.json({ rulesVersion: deps.rules.currentVersion(), series: series.length, result });
  });

  r.post('/rules/reload', admin, (_req, res) => {
    const actor = principalOf(res).name;
    const result = deps.rules.reload(actor);
    audited(res, 'api.rules.reload_requested', null, {
      ok: result.ok,
      version: result.version ?? null,
      problems: result.problems.length,
    });
    res.status(result.ok ? 200 : 422).json(result);
  });

  r.get('/models', read, async (_req, res) => {
    res.json({ items: await deps.models.list() });
  });

  r.get('/deliveries', read, (req, res) => {
    const q = deliveriesQuery.parse(req.query);
    res.json({ items: deps.deliveries.list(q), limit: q.limit, offset: q.offset });
  });

  r.post('/deliveries/:id/replay', admin, (req, res) => {
    const { id } = jobIdParam.parse(req.params);
    const actor = principalOf(res).name;
    const result = deps.deliveries.replay(id, actor);
    audited(res, 'api.delivery.replay_requested', id, {});
    res.json({ id, replayed: true, result: result ?? null });
  });

  r.get('/scheduled-jobs', read, (_req, res) => {
    res.json({ items: deps.scheduledJobs?.() ?? [] });
  });

  r.use(() => {
    throw new NotFoundError('no such API resource');
  });
  return r;
}

/** The headers /api/rules/explain evaluates: DICOM in the body, or a stored series by UID. */
async function explainInputs(
  req: Request,
  seriesRepo: SeriesRepository,
  index: DicomWebIndex,
): Promise<NaturalDataset[]> {
  const ct = parseContentType(req.get('content-type'));
  if (ct.mediaType === 'application/json') {
    let json: unknown;
    try {
      json = JSON.parse((await readAll(req, 64 * 1024)).toString('utf8'));
    } catch {
      throw new NodeError('BAD_REQUEST', 'the body is not valid JSON');
    }
    const body = explainJson.parse(json);
    const instances = seriesRepo.instances(body.seriesInstanceUid);
    if (instances.length === 0) throw new NotFoundError(`no stored series ${body.seriesInstanceUid}`);
    const out: NaturalDataset[] = [];
    for (const i of instances) out.push((await readDicomHeader(index.resolve(i.file_path))).dataset);
    return out;
  }
  if (ct.mediaType === 'application/dicom')
    return [parseDicomHeader(await readAll(req, EXPLAIN_MAX_BYTES)).dataset];
  if (ct.mediaType === 'multipart/related') {
    if (!ct.params.boundary)
      throw new NodeError('BAD_REQUEST', 'the multipart/related Content-Type has no boundary');
    const out: NaturalDataset[] = [];
    await parseMultipartRelated(req, ct.params.boundary, { maxBytes: EXPLAIN_MAX_BYTES }, async (part) => {
      out.push(parseDicomHeader(await readAll(part.body, EXPLAIN_MAX_BYTES)).dataset);
    });
    if (out.length === 0) throw new NodeError('BAD_REQUEST', 'the request has no body parts');
    return out;
  }
  throw new HttpStatusError(
    415,
    'send application/dicom, multipart/related; type="application/dicom", or JSON {"seriesInstanceUid": ...}',
  );
}
