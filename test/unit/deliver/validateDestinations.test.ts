import {
  defaultDestinationRegistry,
  stowStudiesUrl,
  unknownDestinationProblems,
  validateDestinations,
} from '../../../src/deliver';
import { destinationSchema } from '../../../src/config/nodeConfigSchema';

const dest = (url: string, extra: Record<string, unknown> = {}) => destinationSchema.parse({ url, ...extra });

describe('destination URLs', () => {
  test('the three forms are accepted', () => {
    expect(
      validateDestinations({
        pacs: dest('dimse://PACS@10.0.0.5:104'),
        web: dest('dicomweb+http://pacs.local:8042/dicom-web', {
          auth: { type: 'basic', username: 'u', password: 'p' },
        }),
        webs: dest('dicomweb+https://pacs.local/dicom-web/', { auth: { type: 'bearer', token: 't' } }),
        folder: dest('file:///var/results'),
      }),
    ).toEqual([]);
  });

  test.each([
    ['ftp://x/y', /unknown URL scheme "ftp" \(known: dicomweb\+http, dicomweb\+https, dimse, file\)/],
    ['not a url', /not a URL/],
    ['dimse://host:104', /called AE title/],
    ['dimse://WAYTOOLONGAETITLE17@host:104', /1\.\.16/],
    ['dimse://AE@host:104/path', /no path/],
    ['dicomweb+http://user:pw@host/dicom-web', /credentials/],
    ['file://server/share', /no host/],
  ])('%s is a problem with its path', (url, re) => {
    const problems = validateDestinations({ d: dest(url) });
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(/^destinations\.d\.url: /);
    expect(problems.join('\n')).toMatch(re);
  });

  test('backoff and auth consistency', () => {
    expect(
      validateDestinations({
        d: dest('dimse://A@h:1', { initialBackoffSeconds: 100, maxBackoffSeconds: 10 }),
      }),
    ).toEqual(['destinations.d.initialBackoffSeconds: larger than maxBackoffSeconds (10)']);
    expect(
      validateDestinations({ d: dest('dimse://A@h:1', { auth: { type: 'bearer', token: 't' } }) })[0],
    ).toMatch(/auth/);
  });

  test('unknown destination names referenced by rules', () => {
    expect(
      unknownDestinationProblems([{ path: 'rules[0].then.deliver[1]', name: 'nope' }], { pacs: {} }),
    ).toEqual(['rules[0].then.deliver[1]: unknown destination "nope" (configured: pacs)']);
  });

  test('STOW-RS target is {base}/studies over http(s)', () => {
    expect(stowStudiesUrl(new URL('dicomweb+http://h:8042/dicom-web/')).href).toBe(
      'http://h:8042/dicom-web/studies',
    );
    expect(stowStudiesUrl(new URL('dicomweb+https://h/')).href).toBe('https://h/studies');
  });

  test('the registry lists its schemes', () => {
    expect(defaultDestinationRegistry().schemes()).toEqual([
      'dicomweb+http',
      'dicomweb+https',
      'dimse',
      'file',
    ]);
  });
});
