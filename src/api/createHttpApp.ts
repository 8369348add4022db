import express, { type Express } from 'express';
import { adminRoutes } from './adminRoutes';
import { DicomWebIndex } from './dicomWebIndex';
import { dicomwebRouter } from './dicomwebRouter';
import { healthRoutes } from './healthRoutes';
import type { HttpDeps } from './httpDeps';
import { NotFoundError } from '../pipeline/errors';
import { problemMiddleware } from './problemDetails';
import { statusPageRoutes } from './statusPage';

/**
 * Builds the node's HTTP application without listening: health and readiness, Prometheus
 * metrics, the admin API (/api), DICOMweb (/dicomweb) and the status page (/). Every error
 * leaves through one middleware as application/problem+json (RFC 9457).
 */
export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const index = new DicomWebIndex(deps.db, deps.config.dataDir, deps.clock, deps.logger);
  app.use((req, res, next) => {
    res.on('finish', () => {
      const route = req.baseUrl.split('/')[1] ?? '';
      deps.metrics.httpRequest(
        req.method,
        route ? `/${route}` : req.path === '/' ? '/' : req.path.split('/').slice(0, 2).join('/'),
        res.statusCode,
      );
    });
    next();
  });
  app.use(healthRoutes(deps));
  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', deps.metrics.contentType);
    res.send(await deps.metrics.text());
  });
  app.use('/api', adminRoutes(deps, index));
  app.use('/dicomweb', dicomwebRouter(deps, index));
  app.use(statusPageRoutes(deps));
  app.use(() => {
    throw new NotFoundError('no such resource');
  });
  app.use(problemMiddleware(deps.logger));
  return app;
}
