/** The deliver stage (ARCHITECTURE.md): encoded objects → destinations, through a persistent outbox. */
export {
  DeliveryService,
  type DeliveryServiceOptions,
  type DeliveryChange,
  type JobDeliveryState,
} from './deliveryService';
export { validateDestinations, unknownDestinationProblems } from './validateDestinations';
export { DestinationRegistry } from './destinationRegistry';
export { defaultDestinationRegistry } from './defaultDestinationRegistry';
export { backoffDelayMs, type BackoffPolicy } from './backoff';
export { classifyHttpStatus, interpretStowResponse } from './stowResponse';
export {
  multipartRelated,
  parseMultipart,
  newBoundary,
  type MultipartBody,
  type FilePart,
} from './multipartWriter';
export { stowStudiesUrl } from './stowRsDestination';
export type {
  Destination,
  DestinationContext,
  DestinationFactory,
  DestinationUrlCheck,
  OutboxItem,
  SendResult,
} from './destination';
export { WebhookNotifier } from './webhookNotifier';
