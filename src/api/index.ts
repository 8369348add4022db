/** The HTTP edge: health, metrics, admin API, DICOMweb and the status page (src/app.ts wires it). */
export { createHttpApp } from './createHttpApp';
export { startHttpServer, type RunningHttpServer } from './startHttpServer';
export { Metrics, type MetricsOptions } from './metrics';
export { DicomWebIndex, type IndexedInstance } from './dicomWebIndex';
export { diskFreeBytes } from './diskFreeBytes';
export {
  parseMultipartRelated,
  parseContentType,
  type MultipartPart,
  type MultipartOptions,
} from './multipartRelated';
export { encodePng } from './encodePng';
export { ANONYMOUS_ACTOR, type Principal, type Role } from './bearerAuth';
export type {
  HttpDeps,
  IngestPort,
  RulesPort,
  RulesCheckResult,
  ModelsPort,
  DeliveriesPort,
  DeliveryState,
  AuditChainStatus,
  ReadinessCheck,
  ScheduledJobInfo,
} from './httpDeps';
