/**
 * Builds the project's own small ONNX test models (docs/models.md "Test models"), whose outputs
 * are exactly computable from their inputs, and writes each as models/<id>/model.onnx with its
 * manifest.yaml (sha256 filled in).
 *
 * Rebuild (from the repository root):
 *   npx tsc -p tsconfig.json --outDir /tmp/pan-build && NODE_PATH=$PWD/node_modules node /tmp/pan-build/scripts/buildTestModels.js [outDir]
 * The output is deterministic: rebuilding gives byte-identical files (a unit test checks it).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { onnx } from 'onnx-proto';
import YAML from 'yaml';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

function valueInfo(name: string, dims: number[]): onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  };
}

function floats(name: string, dims: number[], values: number[]): onnx.ITensorProto {
  return { name, dims, dataType: FLOAT, floatData: values };
}

function ints(name: string, values: number[]): onnx.ITensorProto {
  return { name, dims: [values.length], dataType: INT64, int64Data: values };
}

function node(
  opType: string,
  input: string[],
  output: string[],
  attrs: onnx.IAttributeProto[] = [],
): onnx.INodeProto {
  return { opType, input, output, name: output[0], attribute: attrs };
}

function intsAttr(name: string, v: number[]): onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: v };
}

function intAttr(name: string, v: number): onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i: v };
}

/** Serialises a graph as an ONNX model (IR 8, default opset 13). */
export function modelBytes(graph: onnx.IGraphProto): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'pacs-ai-node scripts/buildTestModels.ts',
    producerVersion: '1',
    graph,
  }).finish();
}

/**
 * test-cxr-findings: logits[k] = mean(image) * W[k] + B[k] (the manifest applies sigmoid), and a
 * heat map output equal to the (preprocessed) image.
 */
export const CXR_WEIGHTS = [6, -6, 0];
export const CXR_BIAS = [-3, 3, -2];
export function cxrFindingsGraph(): onnx.IGraphProto {
  return {
    name: 'test-cxr-findings',
    node: [
      node('ReduceMean', ['image'], ['mean'], [intsAttr('axes', [2, 3]), intAttr('keepdims', 0)]),
      node('Mul', ['mean', 'W'], ['scaled']),
      node('Add', ['scaled', 'B'], ['logits']),
      node('Identity', ['image'], ['heatmap']),
    ],
    initializer: [floats('W', [1, 3], CXR_WEIGHTS), floats('B', [1, 3], CXR_BIAS)],
    input: [valueInfo('image', [1, 1, 64, 64])],
    output: [valueInfo('logits', [1, 3]), valueInfo('heatmap', [1, 1, 64, 64])],
  };
}

/**
 * test-lung-seg: channel 0 = 0.5 everywhere, channel 1 = image * PRIOR where PRIOR is 1 in the
 * upper half of the 32 x 32 image and 0 below; argmax → lung where image > 0.5 in the upper half.
 * An upside-down image therefore gives an empty mask until it is rotated by 180 degrees.
 */
export const LUNG_SIZE = 32;
export function lungPrior(): number[] {
  const p: number[] = [];
  for (let y = 0; y < LUNG_SIZE; y++) for (let x = 0; x < LUNG_SIZE; x++) p.push(y < LUNG_SIZE / 2 ? 1 : 0);
  return p;
}
export function lungSegGraph(): onnx.IGraphProto {
  const s = LUNG_SIZE;
  return {
    name: 'test-lung-seg',
    node: [
      node('Mul', ['image', 'prior'], ['lung']),
      node('Mul', ['image', 'zero'], ['zeros']),
      node('Add', ['zeros', 'half'], ['background']),
      node('Concat', ['background', 'lung'], ['logits'], [intAttr('axis', 1)]),
    ],
    initializer: [
      floats('prior', [1, 1, s, s], lungPrior()),
      floats('zero', [1], [0]),
      floats('half', [1], [0.5]),
    ],
    input: [valueInfo('image', [1, 1, s, s])],
    output: [valueInfo('logits', [1, 2, s, s])],
  };
}

/** test-nm-correct: corrected = image * 2 + 10 (an image-to-image "correction"); 64 x 64 unless told. */
export function nmCorrectGraph(rows = 64, columns = 64): onnx.IGraphProto {
  return {
    name: 'test-nm-correct',
    node: [node('Mul', ['image', 'two'], ['doubled']), node('Add', ['doubled', 'ten'], ['corrected'])],
    initializer: [floats('two', [1], [2]), floats('ten', [1], [10])],
    input: [valueInfo('image', [1, 1, rows, columns])],
    output: [valueInfo('corrected', [1, 1, rows, columns])],
  };
}

/**
 * test-bone-age-sex: p = sigmoid(mean(image) * 1 + age_years * 0.1 + male * 0.5 - 2), from the
 * image and the clinical tensor [age, male].
 */
export const BONE_WEIGHTS = [1, 0.1, 0.5];
export const BONE_BIAS = -2;
export function boneAgeSexGraph(): onnx.IGraphProto {
  return {
    name: 'test-bone-age-sex',
    node: [
      node('ReduceMean', ['image'], ['mean'], [intsAttr('axes', [2, 3]), intAttr('keepdims', 0)]),
      node('Concat', ['mean', 'clinical'], ['features'], [intAttr('axis', 1)]),
      node('MatMul', ['features', 'W'], ['score']),
      node('Add', ['score', 'B'], ['logit']),
      node('Sigmoid', ['logit'], ['probability']),
    ],
    initializer: [floats('W', [3, 1], BONE_WEIGHTS), floats('B', [1], [BONE_BIAS])],
    input: [valueInfo('image', [1, 1, 16, 16]), valueInfo('clinical', [1, 2])],
    output: [valueInfo('probability', [1, 1])],
  };
}

/**
 * A deliberately slow graph for timeout tests (not committed): the 64 x 64 image tiled to
 * `size` x `size`, multiplied by itself `rounds` times, then averaged.
 */
export function heavyGraph(rounds: number, size = 2048): onnx.IGraphProto {
  const nodes: onnx.INodeProto[] = [node('Tile', ['image', 'reps'], ['m0'])];
  // Each product is scaled by 1/size so the values stay ordinary floats (no overflow to infinity).
  for (let r = 0; r < rounds; r++) {
    nodes.push(node('MatMul', [`m${r}`, `m${r}`], [`p${r}`]));
    nodes.push(node('Mul', [`p${r}`, 'scale'], [`m${r + 1}`]));
  }
  nodes.push(
    node('ReduceMean', [`m${rounds}`], ['logits'], [intsAttr('axes', [2, 3]), intAttr('keepdims', 0)]),
  );
  return {
    name: 'test-heavy',
    node: nodes,
    initializer: [ints('reps', [1, 1, size / 64, size / 64]), floats('scale', [1], [1 / size])],
    input: [valueInfo('image', [1, 1, 64, 64])],
    output: [valueInfo('logits', [1, 1])],
  };
}

/**
 * A volume segmentation graph for tests (not committed): channel 0 = 0.5, channel 1 = image, so
 * argmax marks the voxels above 0.5. Input [1, 1, d, h, w], output [1, 2, d, h, w].
 */
export function volumeThresholdGraph(d: number, h: number, w: number): onnx.IGraphProto {
  return {
    name: 'test-volume-threshold',
    node: [
      node('Mul', ['image', 'zero'], ['zeros']),
      node('Add', ['zeros', 'half'], ['background']),
      node('Concat', ['background', 'image'], ['logits'], [intAttr('axis', 1)]),
    ],
    initializer: [floats('zero', [1], [0]), floats('half', [1], [0.5])],
    input: [valueInfo('image', [1, 1, d, h, w])],
    output: [valueInfo('logits', [1, 2, d, h, w])],
  };
}

/**
 * A detection graph for tests (not committed): two boxes [2, 6] of an 8 x 8 image, the first
 * (class 0) scored mean(image), the second (class 1) a constant 0.2.
 */
export function detectionGraph(): onnx.IGraphProto {
  return {
    name: 'test-detection',
    node: [
      node('ReduceMean', ['image'], ['mean'], [intsAttr('axes', [2, 3]), intAttr('keepdims', 0)]),
      node('Concat', ['box0', 'mean', 'class0'], ['row0'], [intAttr('axis', 1)]),
      node('Concat', ['row0', 'row1'], ['boxes'], [intAttr('axis', 0)]),
    ],
    initializer: [
      floats('box0', [1, 4], [1, 1, 4, 4]),
      floats('class0', [1, 1], [0]),
      floats('row1', [1, 6], [2, 2, 6, 6, 0.2, 1]),
    ],
    input: [valueInfo('image', [1, 1, 8, 8])],
    output: [valueInfo('boxes', [2, 6])],
  };
}

const LUNG = { value: '39607008', scheme: 'SCT', meaning: 'Lung structure' };

/** Manifests of the committed test models (sha256 added when written). */
export function testManifests(): Record<
  string,
  { graph: onnx.IGraphProto; manifest: Record<string, unknown> }
> {
  return {
    'test-cxr-findings': {
      graph: cxrFindingsGraph(),
      manifest: {
        id: 'test-cxr-findings',
        version: '1.0.0',
        name: 'Test chest X-ray findings',
        intendedUse:
          'TEST ONLY, not for clinical use. Exercises classification: three findings from the mean of the windowed image.',
        contract: {
          modalities: ['CR', 'DX'],
          bodyParts: ['CHEST'],
          minSlices: 1,
          maxSlices: 1,
          spacingMm: [0.05, 5],
        },
        task: 'classification',
        input: { kind: 'image', tensor: { name: 'image', shape: [1, 1, 64, 64] }, axes: 'NCHW' },
        preprocessing: [
          { step: 'modality-lut' },
          { step: 'invert', when: 'MONOCHROME1' },
          { step: 'resize', rows: 64, columns: 64 },
          { step: 'normalize', method: 'fixed-range', range: [0, 4095], to: [0, 1] },
        ],
        output: { tensor: 'logits', heatMap: { tensor: 'heatmap' } },
        postprocessing: [{ step: 'sigmoid' }],
        labels: [
          {
            index: 0,
            name: 'Cardiomegaly',
            code: { value: '8186001', scheme: 'SCT', meaning: 'Cardiomegaly' },
            threshold: 0.5,
          },
          {
            index: 1,
            name: 'Pleural effusion',
            code: { value: '60046008', scheme: 'SCT', meaning: 'Pleural effusion' },
            threshold: 0.5,
          },
          {
            index: 2,
            name: 'Pneumothorax',
            code: { value: '36118008', scheme: 'SCT', meaning: 'Pneumothorax' },
            threshold: 0.3,
          },
        ],
        results: ['SR', 'SC'],
      },
    },
    'test-lung-seg': {
      graph: lungSegGraph(),
      manifest: {
        id: 'test-lung-seg',
        version: '1.0.0',
        name: 'Test lung segmentation',
        intendedUse:
          'TEST ONLY, not for clinical use. Exercises 2D segmentation, median filter, largest component and rotate-and-retry.',
        contract: { modalities: ['CR', 'DX'], bodyParts: ['CHEST'], minSlices: 1 },
        task: 'segmentation',
        input: {
          kind: 'image',
          tensor: { name: 'image', shape: [1, 1, LUNG_SIZE, LUNG_SIZE] },
          axes: 'NCHW',
        },
        preprocessing: [
          { step: 'modality-lut' },
          { step: 'resize', rows: LUNG_SIZE, columns: LUNG_SIZE },
          { step: 'normalize', method: 'fixed-range', range: [0, 1000], to: [0, 1] },
        ],
        output: { tensor: 'logits' },
        postprocessing: [
          { step: 'argmax' },
          { step: 'median-filter', size: 3 },
          { step: 'largest-component' },
          { step: 'rotate-and-retry', minFraction: 0.02, angles: [180] },
        ],
        labels: [{ index: 1, name: 'Lung', code: LUNG, color: [128, 174, 128] }],
        measurements: [{ name: 'Lung area', label: 'Lung', kind: 'area' }],
        results: ['SEG', 'SR'],
      },
    },
    'test-nm-correct': {
      graph: nmCorrectGraph(),
      manifest: {
        id: 'test-nm-correct',
        version: '1.0.0',
        name: 'Test NM correction',
        intendedUse: 'TEST ONLY, not for clinical use. Exercises image-to-image: output = 2 * input + 10.',
        contract: { modalities: ['NM'], minSlices: 1 },
        task: 'image-to-image',
        input: { kind: 'image', tensor: { name: 'image', shape: [1, 1, 64, 64] }, axes: 'NCHW' },
        preprocessing: [{ step: 'modality-lut' }],
        output: { tensor: 'corrected', rescale: { slope: 1, intercept: 0 } },
        results: ['DERIVED'],
      },
    },
    'test-bone-age-sex': {
      graph: boneAgeSexGraph(),
      manifest: {
        id: 'test-bone-age-sex',
        version: '1.0.0',
        name: 'Test bone age with age and sex',
        intendedUse:
          'TEST ONLY, not for clinical use. Exercises clinical inputs read from PatientAge and PatientSex.',
        contract: {
          modalities: ['CR', 'DX'],
          bodyParts: ['HAND'],
          minSlices: 1,
          requiredAttributes: ['PatientAge', 'PatientSex'],
        },
        task: 'classification',
        input: {
          kind: 'image',
          tensor: { name: 'image', shape: [1, 1, 16, 16] },
          axes: 'NCHW',
          clinical: {
            tensor: 'clinical',
            attributes: [
              { attribute: 'PatientAge', encoding: 'age-years' },
              { attribute: 'PatientSex', encoding: 'sex-male' },
            ],
          },
        },
        preprocessing: [
          { step: 'modality-lut' },
          { step: 'resize', rows: 16, columns: 16 },
          { step: 'normalize', method: 'fixed-range', range: [0, 255], to: [0, 1] },
        ],
        output: { tensor: 'probability' },
        labels: [
          {
            index: 0,
            name: 'Delayed bone age',
            code: { value: 'delayed-bone-age', scheme: '99PACSAI', meaning: 'Delayed bone age (test)' },
            threshold: 0.5,
          },
        ],
        results: ['SR'],
      },
    },
  };
}

/** Writes `<outDir>/<id>/model.onnx` and its manifest.yaml with the file's sha256. */
export function writeModel(outDir: string, manifest: Record<string, unknown>, bytes: Uint8Array): string {
  const dir = path.join(outDir, String(manifest.id));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'model.onnx'), bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const { id, version, name, ...rest } = manifest;
  const doc = { id, version, name, sha256, file: 'model.onnx', ...rest };
  const header = '# Generated by scripts/buildTestModels.ts (see docs/models.md); do not edit by hand.\n';
  fs.writeFileSync(path.join(dir, 'manifest.yaml'), header + YAML.stringify(doc, { lineWidth: 0 }));
  return dir;
}

/** Builds every test model into `outDir`. */
export function buildTestModels(outDir: string): string[] {
  return Object.values(testManifests()).map(({ graph, manifest }) =>
    writeModel(outDir, manifest, modelBytes(graph)),
  );
}

if (require.main === module) {
  const out = path.resolve(process.argv[2] ?? path.join(process.cwd(), 'models'));
  for (const d of buildTestModels(out)) process.stdout.write(`wrote ${d}\n`);
}
