import { checkDimseUrl, createDimseDestination } from './dimseDestination';
import { DestinationRegistry } from './destinationRegistry';
import { checkFileUrl, createFileDestination } from './fileDestination';
import { checkStowUrl, createStowRsDestination } from './stowRsDestination';

/** A registry with the built-in kinds: DIMSE C-STORE, DICOMweb STOW-RS (http/https), folder. */
export function defaultDestinationRegistry(): DestinationRegistry {
  const stow = { factory: createStowRsDestination, check: checkStowUrl };
  return new DestinationRegistry()
    .register('dimse', {
      factory: createDimseDestination,
      check: checkDimseUrl,
      describe: 'dimse://AET@host:port',
    })
    .register('dicomweb+http', { ...stow, describe: 'dicomweb+http://host:port/path' })
    .register('dicomweb+https', { ...stow, describe: 'dicomweb+https://host:port/path' })
    .register('file', { factory: createFileDestination, check: checkFileUrl, describe: 'file:///dir' });
}
