import type { z } from 'zod';
import { AuditLog } from '../../src/audit';
import { destinationSchema } from '../../src/config/nodeConfigSchema';
import { openDatabase, type Db } from '../../src/db/openDatabase';
import { DeliveryService, type DeliveryServiceOptions } from '../../src/deliver';
import { silentLogger } from '../../src/logging/logger';
import { FakeClock } from '../../src/pipeline/clock';

/** Destinations by name, as node.yaml `destinations` writes them (parsed by the helper). */
export type DestinationInputs = Record<string, z.input<typeof destinationSchema>>;

/** How a delivery test differs from the defaults: its database and clock, jitter, batch size, poll interval. */
export type TestDeliveryOptions = { db?: Db; clock?: FakeClock } & Pick<
  DeliveryServiceOptions,
  'random' | 'batchSize' | 'pollMs'
>;

/**
 * A DeliveryService as the node wires it (audited, silent, calling AE title PACSAI) to the given
 * destinations (node.yaml `destinations` entries), on an in-memory database and a FakeClock unless given.
 */
export function testDeliveryService(
  destinations: DestinationInputs,
  { db = openDatabase(':memory:'), clock = new FakeClock(), ...rest }: TestDeliveryOptions = {},
): { svc: DeliveryService; db: Db; clock: FakeClock } {
  const svc = new DeliveryService({
    db,
    audit: new AuditLog(db, clock),
    clock,
    logger: silentLogger,
    callingAeTitle: 'PACSAI',
    destinations: Object.fromEntries(
      Object.entries(destinations).map(([name, d]) => [name, destinationSchema.parse(d)]),
    ),
    ...rest,
  });
  return { svc, db, clock };
}
