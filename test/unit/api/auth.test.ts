import request from 'supertest';
import { createHttpApp } from '../../../src/api';
import { ADMIN_TOKEN, makeKit, READ_TOKEN } from './apiTestKit';

type Route = {
  method: 'get' | 'post';
  path: string;
  role: 'open' | 'read' | 'admin';
  type?: string;
  body?: string;
};

/** Every route of the HTTP app with the role it needs (docs/api.md). */
const ROUTES: Route[] = [
  { method: 'get', path: '/healthz', role: 'open' },
  { method: 'get', path: '/readyz', role: 'open' },
  { method: 'get', path: '/metrics', role: 'open' },
  { method: 'get', path: '/', role: 'admin' },
  { method: 'get', path: '/api/series', role: 'read' },
  { method: 'get', path: '/api/jobs', role: 'read' },
  { method: 'get', path: '/api/jobs/nope', role: 'read' },
  { method: 'get', path: '/api/audit', role: 'read' },
  { method: 'post', path: '/api/rules/check', role: 'read', type: 'application/yaml', body: 'rules: []' },
  {
    method: 'post',
    path: '/api/rules/explain',
    role: 'read',
    type: 'application/json',
    body: '{"seriesInstanceUid":"1.2.3"}',
  },
  { method: 'post', path: '/api/rules/reload', role: 'admin' },
  { method: 'get', path: '/api/models', role: 'read' },
  { method: 'get', path: '/api/deliveries', role: 'read' },
  { method: 'post', path: '/api/deliveries/d1/replay', role: 'admin' },
  { method: 'get', path: '/api/scheduled-jobs', role: 'read' },
  { method: 'get', path: '/dicomweb/studies', role: 'read' },
  { method: 'get', path: '/dicomweb/series', role: 'read' },
  { method: 'get', path: '/dicomweb/instances', role: 'read' },
  { method: 'get', path: '/dicomweb/studies/1.2/series', role: 'read' },
  { method: 'get', path: '/dicomweb/studies/1.2/series/1.3/instances', role: 'read' },
  { method: 'get', path: '/dicomweb/studies/1.2', role: 'read' },
  { method: 'get', path: '/dicomweb/studies/1.2/metadata', role: 'read' },
  { method: 'get', path: '/dicomweb/studies/1.2/series/1.3/instances/1.4/frames/1/rendered', role: 'read' },
  {
    method: 'post',
    path: '/dicomweb/studies',
    role: 'admin',
    type: 'multipart/related; type="application/dicom"; boundary=x',
    body: '--x--',
  },
];

function send(app: ReturnType<typeof createHttpApp>, r: Route, auth?: string): request.Test {
  let t = request(app)[r.method](r.path);
  if (auth) t = t.set('Authorization', auth);
  if (r.type) t = t.set('Content-Type', r.type);
  return r.body !== undefined ? t.send(r.body) : t;
}

describe('authentication and roles on every route', () => {
  jest.setTimeout(20000);
  const withTokens = makeKit({ tokens: true });
  const app = createHttpApp(withTokens.deps);
  const open = createHttpApp(makeKit({ tokens: false }).deps);

  it.each(ROUTES)('$method $path needs $role', async (r) => {
    const none = await send(app, r);
    const wrong = await send(app, r, 'Bearer not-a-valid-token-at-all');
    const read = await send(app, r, `Bearer ${READ_TOKEN}`);
    const admin = await send(app, r, `Bearer ${ADMIN_TOKEN}`);
    const anon = await send(open, r);
    if (r.role === 'open') {
      for (const res of [none, wrong, read, admin]) expect([401, 403]).not.toContain(res.status);
    } else {
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toMatch(r.path === '/' ? /^Basic/ : /^Bearer/);
      expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(wrong.status).toBe(401);
      if (r.role === 'admin') expect(read.status).toBe(403);
      if (r.role === 'read') expect([401, 403]).not.toContain(read.status);
      if (r.role === 'admin') expect(read.body).toMatchObject({ status: 403, code: 'FORBIDDEN' });
      expect([401, 403]).not.toContain(admin.status);
    }
    expect([401, 403]).not.toContain(anon.status);
  });

  it('accepts HTTP Basic with the token as password (a browser on the status page)', async () => {
    const res = await request(app).get('/').auth('ops', ADMIN_TOKEN);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
  });

  it('audits admin actions with the token name as actor', async () => {
    await request(app).post('/api/rules/reload').set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(200);
    expect(withTokens.calls.reload).toContain('ops');
    const row = withTokens.db
      .prepare(`SELECT actor FROM audit_events WHERE event = 'api.rules.reload_requested' ORDER BY seq DESC`)
      .get() as { actor: string };
    expect(row.actor).toBe('ops');
  });
});
