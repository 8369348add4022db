import { ConfigError } from '../pipeline/errors';
import type { Destination, DestinationContext, DestinationFactory, DestinationUrlCheck } from './destination';

interface Entry {
  factory: DestinationFactory;
  check: DestinationUrlCheck;
  describe: string;
}

/**
 * Destination kinds by URL scheme (STYLE.md 9: extend by registering, not by switch). A scheme
 * is written without the trailing colon: `dimse`, `dicomweb+http`, `file`.
 */
export class DestinationRegistry {
  private readonly entries = new Map<string, Entry>();

  register(
    scheme: string,
    entry: { factory: DestinationFactory; check: DestinationUrlCheck; describe: string },
  ): this {
    this.entries.set(scheme.toLowerCase(), entry);
    return this;
  }

  schemes(): string[] {
    return [...this.entries.keys()].sort();
  }

  /** Problems of a destination URL (unparseable, unknown scheme, malformed for its scheme). */
  check(url: string): string[] {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return [`not a URL: ${JSON.stringify(url)} (forms: ${this.forms()})`];
    }
    const e = this.entries.get(u.protocol.replace(/:$/, '').toLowerCase());
    if (!e)
      return [`unknown URL scheme "${u.protocol.replace(/:$/, '')}" (known: ${this.schemes().join(', ')})`];
    return e.check(u);
  }

  /** Builds the destination; ConfigError when its URL has a problem. */
  create(url: string, ctx: DestinationContext): Destination {
    const problems = this.check(url);
    if (problems.length)
      throw new ConfigError(
        `destination ${ctx.name}: invalid url`,
        problems.map((p) => `destinations.${ctx.name}.url: ${p}`),
      );
    const u = new URL(url);
    return this.entries.get(u.protocol.replace(/:$/, '').toLowerCase())!.factory(u, ctx);
  }

  private forms(): string {
    return [...this.entries.values()].map((e) => e.describe).join(', ');
  }
}
