import type { DestinationConfig } from '../config/nodeConfigSchema';
import { defaultDestinationRegistry } from './defaultDestinationRegistry';
import type { DestinationRegistry } from './destinationRegistry';

/**
 * Every problem of the configured destinations, as `destinations.<name>.<field>: message` lines
 * (for the config loader and `validate`): unparseable URLs, unknown schemes, malformed URLs for
 * their scheme, backoff settings that contradict each other. Empty: all fine.
 */
export function validateDestinations(
  destinations: Readonly<Record<string, DestinationConfig>>,
  registry: DestinationRegistry = defaultDestinationRegistry(),
): string[] {
  const problems: string[] = [];
  for (const [name, d] of Object.entries(destinations)) {
    for (const p of registry.check(d.url)) problems.push(`destinations.${name}.url: ${p}`);
    if (d.initialBackoffSeconds > d.maxBackoffSeconds) {
      problems.push(
        `destinations.${name}.initialBackoffSeconds: larger than maxBackoffSeconds (${d.maxBackoffSeconds})`,
      );
    }
    if (d.auth && !/^dicomweb\+/i.test(d.url))
      problems.push(`destinations.${name}.auth: only DICOMweb destinations use auth`);
  }
  return problems;
}

/**
 * Problems of destination names referenced elsewhere (rules `deliver:`), as `<path>: message`
 * lines: each name must be configured.
 */
export function unknownDestinationProblems(
  references: ReadonlyArray<{ path: string; name: string }>,
  destinations: Readonly<Record<string, unknown>>,
): string[] {
  const known = Object.keys(destinations).sort();
  return references
    .filter((r) => !Object.prototype.hasOwnProperty.call(destinations, r.name))
    .map(
      (r) =>
        `${r.path}: unknown destination "${r.name}" (configured: ${known.length ? known.join(', ') : 'none'})`,
    );
}
