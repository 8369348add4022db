import { z } from 'zod';

/**
 * The model manifest (`models/<id>/manifest.yaml`), one zod schema; types come from `z.infer`.
 * Every field is documented in docs/models.md. Unknown keys are rejected (STYLE.md 5).
 */

/** A coded concept (PS3.3 8.8): SNOMED CT (`SCT`), DICOM (`DCM`) or another scheme. */
export const codeSchema = z
  .object({
    value: z.string().min(1).max(64),
    scheme: z.string().min(1).max(16),
    meaning: z.string().min(1).max(64),
  })
  .strict();

/** A UCUM unit (PS3.16 CID 82). */
export const unitSchema = z.object({ code: z.string().min(1), meaning: z.string().min(1) }).strict();

const preprocessStepSchema = z.discriminatedUnion('step', [
  z.object({ step: z.literal('modality-lut') }).strict(),
  z
    .object({
      step: z.literal('invert'),
      /** `MONOCHROME1`: only images whose Photometric Interpretation is MONOCHROME1; `always`. */
      when: z.enum(['MONOCHROME1', 'always']).default('MONOCHROME1'),
    })
    .strict(),
  z
    .object({
      step: z.literal('window'),
      /** Window centre and width (PS3.3 C.11.2.1.2); absent = the image's own or a min-max window. */
      center: z.number().optional(),
      width: z.number().positive().optional(),
    })
    .strict(),
  z
    .object({
      step: z.literal('resize'),
      rows: z.number().int().positive(),
      columns: z.number().int().positive(),
    })
    .strict(),
  z
    .object({
      step: z.literal('resample'),
      interpolation: z.enum(['trilinear', 'nearest']).default('trilinear'),
    })
    .strict(),
  z
    .object({
      step: z.literal('normalize'),
      method: z.enum(['min-max', 'z-score', 'fixed-range']),
      /** fixed-range: the input range [low, high] mapped to `to`. */
      range: z.tuple([z.number(), z.number()]).optional(),
      /** min-max / fixed-range: the output range; default [0, 1]. */
      to: z.tuple([z.number(), z.number()]).default([0, 1]),
      /** fixed-range: clip to `to`. */
      clip: z.boolean().default(true),
    })
    .strict(),
  z.object({ step: z.literal('channel-repeat'), channels: z.number().int().min(2).max(16) }).strict(),
]);

const postprocessStepSchema = z.discriminatedUnion('step', [
  z.object({ step: z.literal('softmax') }).strict(),
  z.object({ step: z.literal('sigmoid') }).strict(),
  z.object({ step: z.literal('argmax') }).strict(),
  /** Single-channel output: foreground where value >= threshold. */
  z.object({ step: z.literal('threshold'), threshold: z.number() }).strict(),
  /** Median filter of the label image, in plane, `size` x `size` (odd). */
  z
    .object({
      step: z.literal('median-filter'),
      size: z
        .number()
        .int()
        .min(3)
        .max(15)
        .refine((n) => n % 2 === 1, 'size must be odd'),
    })
    .strict(),
  /** Keeps only the largest connected component of each label (6-connected in 3D, 4 in 2D). */
  z.object({ step: z.literal('largest-component') }).strict(),
  /**
   * When the foreground is smaller than `minFraction` of the image, the input is rotated by each
   * of `angles` in turn (degrees, multiples of 90) and the model run again; the first mask that
   * passes is rotated back and kept.
   */
  z
    .object({
      step: z.literal('rotate-and-retry'),
      minFraction: z.number().min(0).max(1),
      angles: z
        .array(z.union([z.literal(90), z.literal(180), z.literal(270)]))
        .min(1)
        .default([90, 180, 270]),
    })
    .strict(),
]);

const labelSchema = z
  .object({
    /** Channel (classification) or label value (segmentation) in the model output. */
    index: z.number().int().min(0),
    name: z.string().min(1).max(64),
    code: codeSchema,
    /** SEG Segmented Property Category (CID 7150); default Anatomical Structure. */
    category: codeSchema.optional(),
    /** Classification: present when probability >= threshold (a rule may override it). */
    threshold: z.number().min(0).max(1).optional(),
    color: z
      .tuple([
        z.number().int().min(0).max(255),
        z.number().int().min(0).max(255),
        z.number().int().min(0).max(255),
      ])
      .optional(),
    findingSite: codeSchema.optional(),
  })
  .strict();

const measurementSchema = z
  .object({
    name: z.string().min(1).max(64),
    /** The label (name) measured. */
    label: z.string().min(1),
    /** `volume` mL on the model grid; `area` cm^2 per image summed; `voxel-count`. */
    kind: z.enum(['volume', 'area', 'voxel-count']),
    code: codeSchema.optional(),
  })
  .strict();

const clinicalInputSchema = z
  .object({
    /** DICOM keyword read from the first instance, e.g. PatientAge, PatientSex. */
    attribute: z.string().regex(/^[A-Za-z0-9]+$/),
    /** How the value becomes a number: `age-years` (AS "045Y" → 45), `sex-male` (M → 1, F → 0), `number`. */
    encoding: z.enum(['age-years', 'sex-male', 'number']),
  })
  .strict();

const tensorSchema = z
  .object({
    name: z.string().min(1),
    /** Full tensor shape, e.g. [1, 1, 256, 256, 256]. */
    shape: z.array(z.number().int().positive()).min(1).max(6),
  })
  .strict();

const orientationSchema = z
  .string()
  .regex(
    /^[LR][AP][SI]$|^[LR][SI][AP]$|^[AP][LR][SI]$|^[AP][SI][LR]$|^[SI][LR][AP]$|^[SI][AP][LR]$/,
    'a three-letter orientation code such as LIA or LPS',
  );

const inputSchema = z
  .object({
    /**
     * `image`: each image (frame) of the series is one model input; `stack`: the slices, sorted by
     * position, as the depth axis; `volume`: the series assembled from geometry and resampled to `grid`.
     */
    kind: z.enum(['image', 'stack', 'volume']),
    tensor: tensorSchema,
    /** Tensor axis order, letters from N (batch), C (channel), D, H, W; i fastest means W last. */
    axes: z.enum(['NCHW', 'NCDHW', 'NHWC']).default('NCHW'),
    /** volume only: the conformed grid (voxels, spacing mm, orientation). */
    grid: z
      .object({
        dims: z.tuple([
          z.number().int().positive(),
          z.number().int().positive(),
          z.number().int().positive(),
        ]),
        /** Isotropic voxel size in mm. */
        spacingMm: z.number().positive(),
        orientation: orientationSchema,
      })
      .strict()
      .optional(),
    /** Extra clinical inputs fed as a second tensor [1, n] (float32), in this order. */
    clinical: z
      .object({ tensor: z.string().min(1), attributes: z.array(clinicalInputSchema).min(1) })
      .strict()
      .optional(),
  })
  .strict()
  .refine((i) => i.kind !== 'volume' || i.grid !== undefined, {
    message: 'a volume input needs grid',
    path: ['grid'],
  });

/** The manifest schema. */
export const modelManifestSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes'),
    version: z.string().regex(/^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/, 'semantic version x.y.z'),
    name: z.string().min(1).max(64),
    /** SHA-256 (hex) of model.onnx; checked at load, a mismatch refuses the model. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits'),
    file: z.string().min(1).default('model.onnx'),
    source: z
      .object({ url: z.string().url(), licence: z.string().min(1).optional() })
      .strict()
      .optional(),
    intendedUse: z.string().min(1),
    manufacturer: z.string().min(1).max(64).default('pacs-ai-node'),
    contract: z
      .object({
        modalities: z.array(z.string().min(2).max(16)).min(1),
        /** Body Part Examined values accepted (case-insensitive); empty = any. */
        bodyParts: z.array(z.string().min(1)).default([]),
        minSlices: z.number().int().min(1).default(1),
        maxSlices: z.number().int().min(1).optional(),
        /** Accepted pixel / slice spacing in mm, [min, max]. */
        spacingMm: z.tuple([z.number().positive(), z.number().positive()]).optional(),
        /** Keywords that must be present and non-empty in the first instance. */
        requiredAttributes: z.array(z.string().regex(/^[A-Za-z0-9]+$/)).default([]),
      })
      .strict(),
    task: z.enum(['classification', 'segmentation', 'image-to-image', 'detection']),
    input: inputSchema,
    preprocessing: z.array(preprocessStepSchema).default([]),
    output: z
      .object({
        tensor: z.string().min(1),
        /** classification: a second output [..., h, w] in 0..1 per image, rendered on the SC as a heat map. */
        heatMap: z
          .object({ tensor: z.string().min(1) })
          .strict()
          .optional(),
        /** image-to-image: output units are stored with this rescale (PS3.3 C.7.6.16.2.9.1). */
        rescale: z.object({ slope: z.number().positive(), intercept: z.number() }).strict().optional(),
      })
      .strict(),
    postprocessing: z.array(postprocessStepSchema).default([]),
    labels: z.array(labelSchema).default([]),
    measurements: z.array(measurementSchema).default([]),
    results: z.array(z.enum(['SR', 'SEG', 'SC', 'DERIVED'])).min(1),
    runtime: z
      .object({
        /** Concurrent runs of this model (each in its own worker). */
        concurrency: z.number().int().min(1).max(16).default(1),
        /** Overrides the node's inference.timeoutSeconds for this model. */
        timeoutSeconds: z.number().positive().optional(),
      })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((m, ctx) => {
    m.preprocessing.forEach((p, i) => {
      if (p.step === 'normalize' && p.method === 'fixed-range' && !p.range) {
        ctx.addIssue({
          code: 'custom',
          path: ['preprocessing', i, 'range'],
          message: 'fixed-range needs range: [low, high]',
        });
      }
    });
    const names = new Set(m.labels.map((l) => l.name));
    m.measurements.forEach((x, i) => {
      if (!names.has(x.label))
        ctx.addIssue({
          code: 'custom',
          path: ['measurements', i, 'label'],
          message: `no label named ${x.label}`,
        });
    });
    if (m.input.clinical && m.input.clinical.tensor === m.input.tensor.name) {
      ctx.addIssue({
        code: 'custom',
        path: ['input', 'clinical', 'tensor'],
        message: 'must differ from input.tensor.name',
      });
    }
  });

export type ModelManifest = z.infer<typeof modelManifestSchema>;
export type PreprocessStepSpec = z.infer<typeof preprocessStepSchema>;
export type PostprocessStepSpec = z.infer<typeof postprocessStepSchema>;
export type LabelSpec = z.infer<typeof labelSchema>;
export type MeasurementSpec = z.infer<typeof measurementSchema>;
export type ClinicalInputSpec = z.infer<typeof clinicalInputSchema>;
