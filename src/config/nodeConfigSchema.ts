import { z } from 'zod';

/**
 * The schema of config/node.yaml (docs/configuration.md documents every field). Every field
 * has a default, so an empty file — or no file at all — is the embedded default configuration.
 */

const aeTitle = z
  .string()
  .min(1)
  .max(16, 'an AE title has at most 16 characters (PS3.5 6.2 AE)')
  .regex(/^[\x20-\x5b\x5d-\x7e]+$/, 'an AE title has printable ASCII characters and no backslash')
  .refine((s) => s.trim().length > 0, 'an AE title cannot be only spaces')
  .transform((s) => s.trim());

const port = z.number().int().min(0).max(65535);

/** One allowed peer: the calling AE title and where it may connect from. */
export const peerSchema = z
  .object({
    aeTitle: aeTitle,
    /** IP address or CIDR block (IPv4 or IPv6); omitted: any address. */
    host: z.string().min(1).optional(),
    /** The sender puts one series on each association: association end completes the series. */
    oneSeriesPerAssociation: z.boolean().default(false),
    /** Quiet period for this sender, overriding assembly.seriesQuietSeconds. */
    seriesQuietSeconds: z.number().positive().optional(),
  })
  .strict();

export const destinationSchema = z
  .object({
    /** dimse://AET@host:port, dicomweb+http(s)://host:port/path, or file:///dir */
    url: z.string().min(1),
    /** The AE title we call with when delivering over DIMSE (default: our own). */
    callingAeTitle: aeTitle.optional(),
    tls: z
      .object({
        ca: z.string().optional(),
        cert: z.string().optional(),
        key: z.string().optional(),
        rejectUnauthorized: z.boolean().default(true),
      })
      .strict()
      .optional(),
    auth: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('basic'), username: z.string(), password: z.string() }).strict(),
        z.object({ type: z.literal('bearer'), token: z.string() }).strict(),
      ])
      .optional(),
    maxAttempts: z.number().int().min(1).max(100).default(8),
    initialBackoffSeconds: z.number().positive().default(5),
    maxBackoffSeconds: z.number().positive().default(3600),
  })
  .strict();

export const tokenSchema = z
  .object({
    name: z.string().min(1),
    token: z.string().min(16, 'a token has at least 16 characters'),
    role: z.enum(['read', 'admin']),
  })
  .strict();

export const nodeConfigSchema = z
  .object({
    aeTitle: aeTitle.default('PACSAI'),
    /** Extra AE titles this node answers to. */
    aliasAeTitles: z.array(aeTitle).default([]),
    dataDir: z.string().min(1).default('./data'),
    dimse: z
      .object({
        host: z.string().default('0.0.0.0'),
        port: port.default(11112),
        /** Maximum PDU length we accept and advertise (PS3.8 D.1). */
        maxPduLength: z.number().int().min(4096).max(4194304).default(65536),
        /** Largest dataset one C-STORE may carry, in bytes. */
        maxMessageBytes: z
          .number()
          .int()
          .positive()
          .default(2 * 1024 * 1024 * 1024),
        maxAssociations: z.number().int().min(1).max(1000).default(16),
        /** Seconds without a PDU before an association is aborted. */
        idleTimeoutSeconds: z.number().positive().default(60),
        /** Seconds a new connection has to send its A-ASSOCIATE-RQ. */
        associationTimeoutSeconds: z.number().positive().default(30),
        tls: z
          .object({
            enabled: z.boolean().default(false),
            key: z.string().optional(),
            cert: z.string().optional(),
            ca: z.string().optional(),
            requestCert: z.boolean().default(false),
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({}),
    http: z
      .object({
        enabled: z.boolean().default(true),
        host: z.string().default('127.0.0.1'),
        port: port.default(8080),
        /** Bearer tokens; when none are given the API is open (loopback only by default). */
        tokens: z.array(tokenSchema).default([]),
        maxStowBytes: z
          .number()
          .int()
          .positive()
          .default(2 * 1024 * 1024 * 1024),
      })
      .strict()
      .default({}),
    /** Calling AE titles (and addresses) allowed to send; empty: any peer. Default-deny when given. */
    allowedPeers: z.array(peerSchema).default([]),
    assembly: z
      .object({
        seriesQuietSeconds: z.number().positive().default(30),
        /** Study-level rules wait this long after the study's last series completed. */
        studyQuietSeconds: z.number().positive().default(120),
        /** What to do with an instance arriving after its series completed. */
        lateArrivals: z.enum(['record', 'rerun']).default('record'),
      })
      .strict()
      .default({}),
    storage: z
      .object({
        /** C-STORE answers 0xA700 when free disk falls below this many MiB. */
        minFreeMb: z.number().int().min(0).default(1024),
        /** Inputs are purged after this many days; results only once delivered. */
        retentionDays: z.number().positive().default(30),
        /**
         * Early write-back: while an instance arrives, an fdatasync of its temp file starts after
         * every this many KiB (one at a time), so the fsync before the answer writes only the
         * tail. 0 turns it off.
         */
        writeBackKb: z.number().int().min(0).default(256),
      })
      .strict()
      .default({}),
    rulesFile: z.string().min(1).default('config/rules.yaml'),
    modelsDir: z.string().min(1).default('models'),
    destinations: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9-_]*$/i, 'destination names are letters, digits, - and _'),
        destinationSchema,
      )
      .default({}),
    inference: z
      .object({
        workers: z.number().int().min(1).max(64).default(1),
        timeoutSeconds: z.number().positive().default(600),
        /** Consecutive failures after which a model is disabled for `disableSeconds`. */
        failureThreshold: z.number().int().min(1).default(3),
        disableSeconds: z.number().positive().default(600),
      })
      .strict()
      .default({}),
    results: z
      .object({
        /** Stable Device Observer UID (TID 1004); derived from the data directory when absent. */
        deviceObserverUid: z
          .string()
          .regex(/^[0-9.]{1,64}$/)
          .optional(),
        institutionName: z.string().max(64).optional(),
        seriesNumberBase: z.number().int().min(1).default(900),
        /** SC for a volume: every slice, or this many key slices. */
        scKeySlices: z.number().int().min(0).default(0),
      })
      .strict()
      .default({}),
    logging: z
      .object({
        level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
      })
      .strict()
      .default({}),
  })
  .strict();

export type NodeConfig = z.infer<typeof nodeConfigSchema>;
export type NodeConfigInput = z.input<typeof nodeConfigSchema>;
export type PeerConfig = z.infer<typeof peerSchema>;
export type DestinationConfig = z.infer<typeof destinationSchema>;
export type TokenConfig = z.infer<typeof tokenSchema>;
