import request from 'supertest';
import { createHttpApp } from '../../../src/api';
import { escapeHtml } from '../../../src/api/statusPage';
import { makeKit, multipartBody, syntheticPart10 } from './apiTestKit';

describe('status page (GET /)', () => {
  jest.setTimeout(20000);

  it('escapes everything it prints', () => {
    expect(escapeHtml(`<script>"x" & 'y'</script>`)).toBe(
      '&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;',
    );
  });

  it('renders counts, recent series, rules version and models as plain HTML without script', async () => {
    const kit = makeKit();
    kit.deps.models.list = () => [{ id: '<b>evil</b>', version: '1' }];
    const app = createHttpApp(kit.deps);
    const m = multipartBody([
      syntheticPart10({
        studyInstanceUid: '1.2.3',
        seriesInstanceUid: '1.2.3.4',
        sopInstanceUid: '1.2.3.4.5',
      }),
    ]);
    await request(app).post('/dicomweb/studies').set('Content-Type', m.contentType).send(m.body).expect(200);
    const res = await request(app).get('/').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.text).toContain('1.2.3.4');
    expect(res.text).toContain('<dd id="rules-version">v1</dd>');
    expect(res.text).toContain('<dd id="count-instances">1</dd>');
    expect(res.text).toContain('&lt;b&gt;evil&lt;/b&gt;');
    expect(res.text).not.toContain('<b>evil');
    expect(res.text).not.toMatch(/<script/i);
  });
});
