import { Router, type RequestHandler } from 'express';
import { requireRole } from './bearerAuth';
import type { DicomWebIndex } from './dicomWebIndex';
import type { HttpDeps } from './httpDeps';
import { qidoRoutes } from './qidoRoutes';
import { stowRoutes } from './stowRoutes';
import { wadoRoutes } from './wadoRoutes';

/**
 * CORS for a DICOMweb viewer on another origin (OHIF): `*` when no tokens are configured,
 * otherwise the configured origin only (none when unset). Preflights answer 204 without auth.
 */
export function dicomWebCors(deps: HttpDeps): RequestHandler {
  const origin = deps.corsOrigin ?? (deps.config.http.tokens.length === 0 ? '*' : null);
  return (req, res, next) => {
    if (origin) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      if (origin !== '*') res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Accept');
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
      res.setHeader('Access-Control-Expose-Headers', 'Content-Type, Content-Location, Warning');
    }
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  };
}

/** Everything under /dicomweb: STOW-RS (admin), QIDO-RS and WADO-RS (read). */
export function dicomwebRouter(deps: HttpDeps, index: DicomWebIndex): Router {
  const r = Router();
  r.use(dicomWebCors(deps));
  r.use(stowRoutes(deps));
  const read = requireRole(deps.config.http.tokens, 'read');
  r.use((req, res, next) => (req.method === 'GET' || req.method === 'HEAD' ? read(req, res, next) : next()));
  r.use(qidoRoutes(index));
  r.use(wadoRoutes(index));
  return r;
}
