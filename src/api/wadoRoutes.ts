import crypto from 'node:crypto';
import fs from 'node:fs';
import { Router, type Request, type Response } from 'express';
import { decodeFile } from '../dicom/pixels';
import { NotFoundError } from '../pipeline/errors';
import { readDicomJson } from './dicomJson';
import type { DicomWebIndex, IndexedInstance } from './dicomWebIndex';
import { encodePng } from './encodePng';
import { HttpStatusError } from './problemDetails';
import { renderFrame } from './renderFrame';
import { dicomWebBase } from './stowRoutes';

type Params = { study: string; series?: string; instance?: string; frames?: string };

/** Explicit VR Little Endian: the transfer syntax of decoded frames (PS3.5 A.2). */
const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';

/** Writes a chunk, waiting for 'drain' when the socket is full; rejects once the client is gone. */
function writeWithBackpressure(res: Response, chunk: Buffer): Promise<void> {
  if (res.destroyed) return Promise.reject(new Error('the client closed the connection'));
  if (res.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    const onClose = (): void => done(new Error('the client closed the connection'));
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

function wants(req: Request, mediaType: string): boolean {
  const accept = req.get('accept');
  if (!accept) return true;
  return accept.split(',').some((a) => {
    const t = a.split(';')[0]!.trim().toLowerCase();
    return t === '*/*' || t === mediaType || t === `${mediaType.split('/')[0]}/*`;
  });
}

/**
 * WADO-RS (PS3.18 10.4): studies, series and instances as multipart/related;
 * type="application/dicom" (the stored files, byte for byte, as stored), their metadata in
 * DICOM JSON (bulk data left out), frames decoded to Explicit VR Little Endian octets, and
 * rendered frames as PNG.
 */
export function wadoRoutes(index: DicomWebIndex): Router {
  const r = Router();

  const select = async (p: Params): Promise<IndexedInstance[]> => {
    await index.sync();
    const found = index.list({
      studyInstanceUid: p.study,
      seriesInstanceUid: p.series,
      sopInstanceUid: p.instance,
    });
    if (found.length === 0)
      throw new NotFoundError(
        `no ${p.instance ? 'instance' : p.series ? 'series' : 'study'} ${p.instance ?? p.series ?? p.study}`,
      );
    return found;
  };

  const retrieve = async (req: Request<Params>, res: Response): Promise<void> => {
    if (!wants(req, 'multipart/related') && !wants(req, 'application/dicom'))
      throw new HttpStatusError(
        406,
        'WADO-RS retrieves as multipart/related; type="application/dicom" (PS3.18 10.4.1.1)',
      );
    const found = await select(req.params);
    const boundary = `pacs-ai-node-${crypto.randomBytes(12).toString('hex')}`;
    res.status(200);
    res.setHeader('Content-Type', `multipart/related; type="application/dicom"; boundary=${boundary}`);
    for (const i of found) {
      const loc = `${dicomWebBase(req)}/studies/${i.studyInstanceUid}/series/${i.seriesInstanceUid}/instances/${i.sopInstanceUid}`;
      const ts = i.transferSyntaxUid ? `; transfer-syntax=${i.transferSyntaxUid}` : '';
      res.write(`--${boundary}\r\nContent-Type: application/dicom${ts}\r\nContent-Location: ${loc}\r\n\r\n`);
      for await (const chunk of fs.createReadStream(i.absolutePath))
        await writeWithBackpressure(res, chunk as Buffer);
      res.write('\r\n');
    }
    res.end(`--${boundary}--\r\n`);
  };

  const metadata = async (req: Request<Params>, res: Response): Promise<void> => {
    const found = await select(req.params);
    const out = [];
    for (const i of found) out.push((await readDicomJson(i.absolutePath)).dataset);
    res.type('application/dicom+json').send(JSON.stringify(out));
  };

  const frameNumbers = (spec: string): number[] => {
    const list = spec.split(',').map((s) => Number(s.trim()));
    if (!list.length || list.some((n) => !Number.isInteger(n) || n < 1))
      throw new NotFoundError(`frame list ${spec} is not a list of frame numbers (PS3.18 10.4.1.1.5)`);
    return list;
  };

  const frames = async (req: Request<Params>, res: Response): Promise<void> => {
    const [inst] = await select(req.params);
    const img = await decodeFile(inst!.absolutePath);
    const boundary = `pacs-ai-node-${crypto.randomBytes(12).toString('hex')}`;
    const parts: Buffer[] = [];
    for (const n of frameNumbers(req.params.frames!)) {
      const f = img.frames[n - 1];
      if (!f) throw new NotFoundError(`frame ${n} does not exist (the instance has ${img.numberOfFrames})`);
      parts.push(
        Buffer.from(
          `--${boundary}\r\nContent-Type: application/octet-stream; transfer-syntax=${EXPLICIT_VR_LE}\r\n\r\n`,
        ),
      );
      parts.push(Buffer.from(f.buffer, f.byteOffset, f.byteLength), Buffer.from('\r\n'));
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    res.setHeader('Content-Type', `multipart/related; type="application/octet-stream"; boundary=${boundary}`);
    res.send(Buffer.concat(parts));
  };

  const rendered = async (req: Request<Params>, res: Response): Promise<void> => {
    if (!wants(req, 'image/png'))
      throw new HttpStatusError(406, 'rendered frames are offered as image/png (PS3.18 10.4.1.1.4)');
    const [inst] = await select(req.params);
    const img = await decodeFile(inst!.absolutePath);
    const n = req.params.frames ? frameNumbers(req.params.frames)[0]! : 1;
    const d = renderFrame(img, n);
    res.type('image/png').send(encodePng(d.pixels, d.width, d.height, d.channels));
  };

  r.get('/studies/:study', retrieve);
  r.get('/studies/:study/series/:series', retrieve);
  r.get('/studies/:study/series/:series/instances/:instance', retrieve);
  r.get('/studies/:study/metadata', metadata);
  r.get('/studies/:study/series/:series/metadata', metadata);
  r.get('/studies/:study/series/:series/instances/:instance/metadata', metadata);
  r.get('/studies/:study/series/:series/instances/:instance/frames/:frames', frames);
  r.get('/studies/:study/series/:series/instances/:instance/rendered', rendered);
  r.get('/studies/:study/series/:series/instances/:instance/frames/:frames/rendered', rendered);
  return r;
}
