import { writeFileAtomic } from '../base/atomic.ts';
import type { Conv1dSpec, Conv2dSpec, NetworkSpec } from '../nn/spec.ts';
import {
  BATCH_DIM,
  INPUT,
  IR_VERSION,
  META_CLASSES,
  META_INPUT_SHAPE,
  META_NAME,
  OPSET,
  OUTPUT,
  PADDING_DOC,
  PRODUCER,
  RESERVED_META,
  TO_NCHW,
  TO_NHWC,
  floatTensor,
  intAttribute,
  intsAttribute,
  onnx,
  type NodeProto,
  type TensorProto,
} from './format.ts';
import { convPads, specShapes, VARIABLE } from './shapes.ts';

/**
 * NetworkSpec → ONNX (IR 8, opset 13), one node per layer:
 *   dense → Gemm(x, W, b) with W stored as given (inputs × outputs, transB = 0);
 *   conv2d → Conv, weights HWIO → OIHW, 'same' as explicit pads (TensorFlow's split: the odd
 *            pixel after); maxpool2d → MaxPool; flatten → Flatten(axis 1); activations →
 *            Relu / Sigmoid / Tanh / Softmax(axis -1) / Identity;
 *   columns → Transpose + Reshape to frames; conv1d → Transpose, 1-D Conv, Relu, Add (residual),
 *            Transpose back; dense on frames → MatMul + Add. A width of -1 becomes the symbolic
 *            input axis 'width' (and 'frames' on the output).
 * Layout: the spec is NHWC, ONNX Conv/MaxPool are NCHW. A Transpose to NCHW goes in before the
 * first Conv/MaxPool of a stretch, and a Transpose back to NHWC goes in before anything that
 * depends on the axis order (Flatten, Gemm, Softmax, the graph output). Element-wise activations
 * run in whichever layout they find. Keeping the transposes (rather than permuting the weights
 * of the dense layer after Flatten) means dense weights are written exactly as the spec holds
 * them, so the importer gets them back bit for bit and the file reads like the spec.
 */
export function exportOnnx(spec: NetworkSpec): Uint8Array {
  const shapes = specShapes(spec);
  for (const key of Object.keys(spec.metadata ?? {})) {
    if (RESERVED_META.has(key)) throw new Error(`network "${spec.name}": metadata key "${key}" is reserved for the exporter`);
  }

  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  let current = INPUT;
  let nchw = false;
  let counter = 0;
  const emit = (opType: string, name: string, inputs: string[], attribute: NodeProto['attribute'] = [], docString?: string): void => {
    const output = `t${counter++}_${name}`;
    const node: NodeProto = { opType, name, input: [current, ...inputs], output: [output], attribute };
    if (docString) node.docString = docString;
    nodes.push(node);
    current = output;
  };
  const toNchw = (i: number): void => {
    if (!nchw) emit('Transpose', `layer${i}_to_nchw`, [], [intsAttribute('perm', TO_NCHW)]);
    nchw = true;
  };
  const toNhwc = (i: number | 'end'): void => {
    if (nchw) emit('Transpose', i === 'end' ? 'to_nhwc' : `layer${i}_to_nhwc`, [], [intsAttribute('perm', TO_NHWC)]);
    nchw = false;
  };

  spec.layers.forEach((layer, i) => {
    const prefix = `layer${i}`;
    switch (layer.kind) {
      case 'dense': {
        toNhwc(i);
        initializers.push(floatTensor(`${prefix}.weight`, [layer.inputs, layer.outputs], layer.weights));
        initializers.push(floatTensor(`${prefix}.bias`, [layer.outputs], layer.bias));
        if (shapes[i]!.length === 2) {
          // The same layer on every frame of a sequence: Gemm takes matrices only.
          emit('MatMul', `${prefix}_dense`, [`${prefix}.weight`]);
          emit('Add', `${prefix}_bias`, [`${prefix}.bias`]);
        } else {
          emit('Gemm', `${prefix}_dense`, [`${prefix}.weight`, `${prefix}.bias`]);
        }
        break;
      }
      case 'conv2d': {
        toNchw(i);
        const [h, w] = shapes[i]!;
        initializers.push(floatTensor(`${prefix}.weight`, [layer.outChannels, layer.inChannels, ...layer.kernel], hwioToOihw(layer)));
        initializers.push(floatTensor(`${prefix}.bias`, [layer.outChannels], layer.bias));
        emit(
          'Conv',
          `${prefix}_conv2d`,
          [`${prefix}.weight`, `${prefix}.bias`],
          [
            intsAttribute('kernel_shape', layer.kernel),
            intsAttribute('strides', layer.stride),
            intsAttribute('pads', convPads(layer, h!, w!)),
            intsAttribute('dilations', [1, 1]),
            intAttribute('group', 1),
          ],
          `${PADDING_DOC}${layer.padding}`,
        );
        break;
      }
      case 'maxpool2d':
        toNchw(i);
        emit(
          'MaxPool',
          `${prefix}_maxpool2d`,
          [],
          [intsAttribute('kernel_shape', layer.window), intsAttribute('strides', layer.stride), intsAttribute('pads', [0, 0, 0, 0])],
        );
        break;
      case 'flatten':
        toNhwc(i);
        emit('Flatten', `${prefix}_flatten`, [], [intAttribute('axis', 1)]);
        break;
      case 'columns': {
        // NCHW → N, W, H, C (or NHWC → the same), then each column's H·C values as one frame.
        emit('Transpose', `${prefix}_columns`, [], [intsAttribute('perm', nchw ? [0, 3, 2, 1] : [0, 2, 1, 3])]);
        nchw = false;
        initializers.push(int64Tensor(`${prefix}.shape`, [0, 0, -1]));
        emit('Reshape', `${prefix}_frames`, [`${prefix}.shape`]);
        break;
      }
      case 'conv1d': {
        // Frames × features → features × frames for a 1-D Conv, and back.
        emit('Transpose', `${prefix}_to_nct`, [], [intsAttribute('perm', [0, 2, 1])]);
        const before = current;
        initializers.push(floatTensor(`${prefix}.weight`, [layer.outChannels, layer.inChannels, layer.kernel], kioToOik(layer)));
        initializers.push(floatTensor(`${prefix}.bias`, [layer.outChannels], layer.bias));
        const pad = (layer.kernel - 1) / 2;
        emit(
          'Conv',
          `${prefix}_conv1d`,
          [`${prefix}.weight`, `${prefix}.bias`],
          [
            intsAttribute('kernel_shape', [layer.kernel]),
            intsAttribute('strides', [1]),
            intsAttribute('pads', [pad, pad]),
            intsAttribute('dilations', [1]),
            intAttribute('group', 1),
          ],
        );
        if (layer.activation === 'relu') emit('Relu', `${prefix}_relu`, []);
        if (layer.residual) emit('Add', `${prefix}_residual`, [before]);
        emit('Transpose', `${prefix}_to_ntc`, [], [intsAttribute('perm', [0, 2, 1])]);
        break;
      }
      case 'activation':
        if (layer.fn === 'softmax') {
          toNhwc(i);
          emit('Softmax', `${prefix}_softmax`, [], [intAttribute('axis', -1)]);
        } else {
          emit(ACTIVATION_OPS[layer.fn], `${prefix}_${layer.fn}`, []);
        }
        break;
    }
  });
  toNhwc('end');
  nodes[nodes.length - 1]!.output = [OUTPUT];

  const metadataProps = [
    { key: META_NAME, value: spec.name },
    { key: META_INPUT_SHAPE, value: JSON.stringify(spec.inputShape) },
    ...(spec.classes ? [{ key: META_CLASSES, value: JSON.stringify(spec.classes) }] : []),
    ...Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
  ];
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: PRODUCER,
    graph: {
      name: spec.name,
      node: nodes,
      initializer: initializers,
      input: [floatValue(INPUT, spec.inputShape, 'width')],
      output: [floatValue(OUTPUT, shapes[shapes.length - 1]!, 'frames')],
    },
    metadataProps,
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Exports `spec` to `path`, atomically (temp file in the same folder, then rename). */
export function writeOnnx(path: string, spec: NetworkSpec): void {
  writeFileAtomic(path, exportOnnx(spec));
}

const ACTIVATION_OPS = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh', identity: 'Identity' } as const;

/** A float32 graph input/output of shape [N, ...sample] with the batch axis symbolic, and a variable size named `variable`. */
function floatValue(name: string, sample: number[], variable: string) {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: [{ dimParam: BATCH_DIM }, ...sample.map((d) => (d === VARIABLE ? { dimParam: variable } : { dimValue: d }))] },
      },
    },
  };
}

function int64Tensor(name: string, values: number[]): TensorProto {
  return { name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: values };
}

/** Conv1d weights kernel × in × out (spec) → out × in × kernel (ONNX). */
function kioToOik(layer: Conv1dSpec): Float32Array {
  const { kernel: k, inChannels: ci, outChannels: co } = layer;
  const out = new Float32Array(layer.weights.length);
  for (let x = 0; x < k; x++) for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) out[(o * ci + i) * k + x] = layer.weights[(x * ci + i) * co + o]!;
  return out;
}

/** Conv weights kernelH × kernelW × in × out (spec) → out × in × kernelH × kernelW (ONNX). */
export function hwioToOihw(layer: Conv2dSpec): Float32Array {
  const [kh, kw] = layer.kernel;
  const ci = layer.inChannels;
  const co = layer.outChannels;
  const out = new Float32Array(layer.weights.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) out[((o * ci + i) * kh + y) * kw + x] = layer.weights[((y * kw + x) * ci + i) * co + o]!;
  return out;
}
