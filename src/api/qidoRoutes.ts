import { Router, type Request, type Response } from 'express';
import type { DicomWebIndex } from './dicomWebIndex';
import { parseQidoQuery, runQido, type QidoLevel } from './qidoQuery';
import { dicomWebBase } from './stowRoutes';

/**
 * QIDO-RS (PS3.18 10.6): studies, series and instances, at the top level or within a study or
 * series, with attribute matching, includefield, fuzzymatching, limit and offset. Answers
 * application/dicom+json; an empty result is 204 No Content (PS3.18 10.6.3.2).
 */
export function qidoRoutes(index: DicomWebIndex): Router {
  const r = Router();
  const search =
    (level: QidoLevel) =>
    async (req: Request<Record<string, string>>, res: Response): Promise<void> => {
      const q = parseQidoQuery(req.query as Record<string, unknown>);
      await index.sync();
      const instances = index.list({
        studyInstanceUid: req.params.study,
        seriesInstanceUid: req.params.series,
      });
      const found = runQido(instances, level, q, dicomWebBase(req));
      if (q.ignored.length)
        res.setHeader(
          'Warning',
          `299 pacs-ai-node "The following query keys are not supported and were ignored: ${q.ignored.join(', ')}"`,
        );
      if (found.length === 0) {
        res.status(204).end();
        return;
      }
      res.type('application/dicom+json').send(JSON.stringify(found));
    };
  r.get('/studies', search('study'));
  r.get('/series', search('series'));
  r.get('/instances', search('instance'));
  r.get('/studies/:study/series', search('series'));
  r.get('/studies/:study/instances', search('instance'));
  r.get('/studies/:study/series/:series/instances', search('instance'));
  return r;
}
