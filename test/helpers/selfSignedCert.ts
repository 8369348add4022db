import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * A throw-away self-signed certificate and key (openssl, RSA 2048, valid one day) in `dir`,
 * for DICOM TLS tests (PS3.15 B.1). `subjectAltName` e.g. `IP:127.0.0.1,DNS:localhost`.
 */
export function selfSignedCert(
  dir: string,
  o: { commonName: string; subjectAltName?: string },
): { key: string; cert: string } {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      `/CN=${o.commonName}`,
      ...(o.subjectAltName ? ['-addext', `subjectAltName=${o.subjectAltName}`] : []),
    ],
    { stdio: 'ignore', timeout: 30_000 },
  );
  return { key, cert };
}
