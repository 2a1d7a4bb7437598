import type { Conv2dSpec, LayerSpec, NetworkSpec } from '../nn/spec.ts';
import {
  INPUT,
  OPSET,
  PADDING_DOC,
  TO_NCHW,
  TO_NHWC,
  decodeModel,
  modelInfo,
  tensorFloats,
  toNumber,
  onnx,
  type AttributeProto,
  type NodeProto,
  type OnnxInfo,
  type TensorProto,
} from './format.ts';
import { convPads, nextShape, specShapes } from './shapes.ts';

/**
 * ONNX → NetworkSpec for files written by ./export.ts (to fine-tune a shipped model or read its
 * classes). It walks the single chain of nodes from the graph input, undoing the exporter's
 * patterns one by one; any other op or wiring is rejected, naming the node. It is not a general
 * ONNX importer.
 */
export function importOnnx(bytes: Uint8Array): NetworkSpec {
  const model = decodeModel(bytes);
  const graph = model.graph!;
  const opset = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  const version = toNumber(opset?.version);
  if (version < OPSET) throw new Error(`ONNX opset ${version || 'none'} is older than ${OPSET}, which hwr exports`);
  const info = modelInfo(model);

  const weights = new Map<string, TensorProto>();
  for (const t of graph.initializer ?? []) weights.set(t.name ?? '', t);
  const outputs = graph.output ?? [];
  if (outputs.length !== 1) throw new Error(`expected one graph output, found ${outputs.length}`);

  const layers: LayerSpec[] = [];
  let shape = [...info.inputShape];
  let current = graph.input?.find((i) => !weights.has(i.name ?? ''))?.name ?? INPUT;
  let nchw = false;
  const add = (layer: LayerSpec): void => {
    shape = nextShape(shape, layer, layers.length);
    layers.push(layer);
  };

  const nodes = graph.node ?? [];
  const labelOf = (node: NodeProto) => `node "${node.name ?? ''}" (${node.opType})`;
  const paramOf = (node: NodeProto, k: number): TensorProto => {
    const name = node.input?.[k];
    const t = name === undefined ? undefined : weights.get(name);
    if (!t) throw new Error(`${labelOf(node)}: input ${k} ("${name ?? ''}") is not an initializer`);
    return t;
  };
  /** The next node of the chain, if it is a `type` continuing from `from`; it is then consumed. */
  let at = 0;
  const next = (type: string, from: string): NodeProto | undefined => {
    const n = nodes[at];
    if (!n || n.opType !== type || n.domain || n.input?.[0] !== from || n.output?.length !== 1) return undefined;
    at++;
    return n;
  };
  const expectNext = (type: string, from: string, after: NodeProto): NodeProto => {
    const n = next(type, from);
    if (!n) throw new Error(`${labelOf(after)} is not followed by the ${type} hwr writes after it`);
    return n;
  };

  while (at < nodes.length) {
    const node = nodes[at++]!;
    const label = labelOf(node);
    if (node.domain) throw new Error(`${label}: unsupported domain "${node.domain}"`);
    if ((node.input ?? [])[0] !== current || (node.output ?? []).length !== 1) {
      throw new Error(`${label} does not continue the single chain from "${current}"; not a file exported by hwr`);
    }
    const attrs = readAttributes(node);
    const param = (k: number): TensorProto => paramOf(node, k);
    const expectArity = (n: number): void => {
      if (node.input!.length !== n) throw new Error(`${label}: expected ${n} inputs, found ${node.input!.length}`);
    };
    const requireLayout = (wantNchw: boolean): void => {
      if (nchw !== wantNchw) throw new Error(`${label} runs on ${nchw ? 'NCHW' : 'NHWC'} data; hwr exports it on ${wantNchw ? 'NCHW' : 'NHWC'}`);
    };

    switch (node.opType) {
      case 'Transpose': {
        expectArity(1);
        const perm = (attrs.get('perm')?.ints ?? []).map(toNumber).join();
        if (perm === TO_NCHW.join() && !nchw && shape.length === 3) nchw = true;
        else if (perm === TO_NHWC.join() && nchw) nchw = false;
        else if (perm === (nchw ? '0,3,2,1' : '0,2,1,3') && shape.length === 3) {
          // columns: each column of the feature map becomes one frame (Transpose, then Reshape to N × W × H·C).
          const reshape = expectNext('Reshape', node.output![0]!, node);
          const to = Array.from(intValues(paramOf(reshape, 1)));
          if (to.join() !== '0,0,-1') throw new Error(`${labelOf(reshape)}: shape [${to.join(', ')}] is not the frames reshape [0, 0, -1]`);
          nchw = false;
          add({ kind: 'columns' });
          current = reshape.output![0]!;
          continue;
        } else if (perm === '0,2,1' && shape.length === 2) {
          // conv1d: frames × features → features × frames, 1-D Conv, Relu?, Add (residual)?, and back.
          const conv = expectNext('Conv', node.output![0]!, node);
          const w = paramOf(conv, 1);
          const d = (w.dims ?? []).map(toNumber);
          if (d.length !== 3) throw new Error(`${labelOf(conv)}: initializer "${w.name}" has rank ${d.length}, expected 3`);
          const [outChannels, inChannels, kernel] = d as [number, number, number];
          const convAttrs = readAttributes(conv);
          checkInts(convAttrs, 'strides', [1], labelOf(conv));
          checkInts(convAttrs, 'dilations', [1], labelOf(conv));
          checkInts(convAttrs, 'pads', [(kernel - 1) / 2, (kernel - 1) / 2], labelOf(conv));
          if (toNumber(convAttrs.get('group')?.i ?? 1) !== 1) throw new Error(`${labelOf(conv)}: grouped convolution is not supported`);
          let end = conv.output![0]!;
          const relu = next('Relu', end);
          if (relu) end = relu.output![0]!;
          const sum = nodes[at]?.opType === 'Add' && nodes[at]!.input?.[1] === node.output![0] ? next('Add', end) : undefined;
          if (sum) end = sum.output![0]!;
          const back = expectNext('Transpose', end, sum ?? relu ?? conv);
          if ((readAttributes(back).get('perm')?.ints ?? []).map(toNumber).join() !== '0,2,1') throw new Error(`${labelOf(back)}: expected perm [0, 2, 1]`);
          add({
            kind: 'conv1d',
            kernel,
            inChannels,
            outChannels,
            weights: oikToKio(tensorFloats(w), kernel, inChannels, outChannels),
            bias: tensorFloats(paramOf(conv, 2)),
            activation: relu ? 'relu' : 'identity',
            residual: sum !== undefined,
          });
          current = back.output![0]!;
          continue;
        } else throw new Error(`${label}: perm [${perm}] is not one of hwr's layout transposes here`);
        break;
      }
      case 'MatMul': {
        // dense on every frame of a sequence: MatMul, then Add of the bias.
        expectArity(2);
        requireLayout(false);
        const w = param(1);
        const [inputs, outs] = dims(w, 2, label);
        const bias = expectNext('Add', node.output![0]!, node);
        add({ kind: 'dense', inputs, outputs: outs, weights: tensorFloats(w), bias: tensorFloats(paramOf(bias, 1)) });
        current = bias.output![0]!;
        continue;
      }
      case 'Gemm': {
        expectArity(3);
        requireLayout(false);
        for (const [k, want] of [
          ['transA', 0],
          ['transB', 0],
          ['alpha', 1],
          ['beta', 1],
        ] as const) {
          const a = attrs.get(k);
          const value = a ? attributeNumber(a) : want;
          if (value !== want) throw new Error(`${label}: ${k} = ${value} is not supported (hwr exports ${k} = ${want})`);
        }
        const w = param(1);
        const [inputs, outs] = dims(w, 2, label);
        add({ kind: 'dense', inputs, outputs: outs, weights: tensorFloats(w), bias: tensorFloats(param(2)) });
        break;
      }
      case 'Conv': {
        expectArity(3);
        requireLayout(true);
        const w = param(1);
        const [outChannels, inChannels, kh, kw] = dims(w, 4, label);
        checkInts(attrs, 'dilations', [1, 1], label);
        if (toNumber(attrs.get('group')?.i ?? 1) !== 1) throw new Error(`${label}: grouped convolution is not supported`);
        const autoPad = attrs.get('auto_pad')?.s;
        if (autoPad && autoPad.length > 0 && new TextDecoder().decode(autoPad) !== 'NOTSET')
          throw new Error(`${label}: auto_pad is not supported (hwr writes explicit pads)`);
        const kernel: [number, number] = [kh, kw];
        checkInts(attrs, 'kernel_shape', kernel, label);
        const stride = intPair(attrs, 'strides', label);
        const pads = (attrs.get('pads')?.ints ?? [0, 0, 0, 0]).map(toNumber);
        const padding = convPadding(node, { kernel, stride }, shape, pads, label);
        const layer: Conv2dSpec = {
          kind: 'conv2d',
          kernel,
          stride,
          padding,
          inChannels,
          outChannels,
          weights: new Float32Array(0),
          bias: tensorFloats(param(2)),
        };
        layer.weights = oihwToHwio(tensorFloats(w), layer);
        add(layer);
        break;
      }
      case 'MaxPool': {
        expectArity(1);
        requireLayout(true);
        const pads = (attrs.get('pads')?.ints ?? []).map(toNumber);
        if (pads.some((p) => p !== 0)) throw new Error(`${label}: padded max pooling is not supported`);
        if (toNumber(attrs.get('ceil_mode')?.i) !== 0) throw new Error(`${label}: ceil_mode is not supported`);
        checkInts(attrs, 'dilations', [1, 1], label);
        add({ kind: 'maxpool2d', window: intPair(attrs, 'kernel_shape', label), stride: intPair(attrs, 'strides', label) });
        break;
      }
      case 'Flatten':
        expectArity(1);
        requireLayout(false);
        if (toNumber(attrs.get('axis')?.i ?? 1) !== 1) throw new Error(`${label}: only axis 1 is supported`);
        add({ kind: 'flatten' });
        break;
      case 'Softmax': {
        expectArity(1);
        requireLayout(false);
        const axis = toNumber(attrs.get('axis')?.i ?? -1);
        if (axis !== -1 && axis !== shape.length) throw new Error(`${label}: softmax over axis ${axis} is not over the last axis`);
        add({ kind: 'activation', fn: 'softmax' });
        break;
      }
      case 'Relu':
      case 'Sigmoid':
      case 'Tanh':
      case 'Identity':
        expectArity(1);
        add({ kind: 'activation', fn: node.opType.toLowerCase() as 'relu' | 'sigmoid' | 'tanh' | 'identity' });
        break;
      default:
        throw new Error(`${label}: unsupported op "${node.opType}"; hwr reads back only the files it exports`);
    }
    current = node.output![0]!;
  }

  if (current !== outputs[0]!.name) throw new Error(`the node chain ends at "${current}", not at the graph output "${outputs[0]!.name}"`);
  if (nchw) throw new Error('the graph ends on NCHW data; hwr always transposes back to NHWC');
  const spec: NetworkSpec = { name: info.name ?? graph.name ?? 'onnx', inputShape: info.inputShape, layers };
  if (info.classes) spec.classes = info.classes;
  if (Object.keys(info.metadata).length > 0) spec.metadata = info.metadata;
  specShapes(spec); // classes against the output size, and every layer once more
  return spec;
}

/** Name, classes, input shape and metadata of an ONNX file, without reading its layers. */
export function readOnnxInfo(bytes: Uint8Array): OnnxInfo {
  return modelInfo(decodeModel(bytes));
}

function readAttributes(node: NodeProto) {
  return new Map((node.attribute ?? []).map((a) => [a.name ?? '', a]));
}

type Attributes = ReturnType<typeof readAttributes>;

function attributeNumber(a: AttributeProto): number {
  return a.type === onnx.AttributeProto.AttributeType.FLOAT ? (a.f ?? 0) : toNumber(a.i);
}

function dims<R extends 2 | 4>(t: TensorProto, rank: R, label: string): R extends 2 ? [number, number] : [number, number, number, number] {
  const d = (t.dims ?? []).map(toNumber);
  if (d.length !== rank) throw new Error(`${label}: initializer "${t.name}" has rank ${d.length}, expected ${rank}`);
  return d as R extends 2 ? [number, number] : [number, number, number, number];
}

function intPair(attrs: Attributes, name: string, label: string): [number, number] {
  const v = (attrs.get(name)?.ints ?? []).map(toNumber);
  if (v.length !== 2) throw new Error(`${label}: attribute ${name} must hold 2 values, found ${v.length}`);
  return [v[0]!, v[1]!];
}

function checkInts(attrs: Attributes, name: string, want: number[], label: string): void {
  const a = attrs.get(name);
  if (!a) return;
  const got = (a.ints ?? []).map(toNumber);
  if (got.join() !== want.join()) throw new Error(`${label}: ${name} [${got.join(', ')}] is not supported (expected [${want.join(', ')}])`);
}

/**
 * 'valid' when there are no pads, 'same' when the pads are TensorFlow's 'same' pads for this
 * input; the exporter's doc_string settles the case where both read the same (no padding needed).
 */
function convPadding(node: NodeProto, layer: Pick<Conv2dSpec, 'kernel' | 'stride'>, shape: number[], pads: number[], label: string): 'same' | 'valid' {
  if (shape.length !== 3) throw new Error(`${label}: needs an image input, got [${shape.join(', ')}]`);
  const [h, w] = shape as [number, number, number];
  const same = convPads({ ...layer, padding: 'same' }, h, w).join();
  const doc = node.docString?.startsWith(PADDING_DOC) ? node.docString.slice(PADDING_DOC.length) : undefined;
  const matches = { same: pads.join() === same, valid: pads.every((p) => p === 0) && pads.length === 4 };
  if (doc === 'same' || doc === 'valid') {
    if (!matches[doc]) throw new Error(`${label}: pads [${pads.join(', ')}] do not match padding '${doc}'`);
    return doc;
  }
  if (matches.valid) return 'valid';
  if (matches.same) return 'same';
  throw new Error(`${label}: pads [${pads.join(', ')}] are neither 'valid' nor 'same' for a ${h}×${w} input`);
}

/** ONNX 1-D conv weights out × in × kernel → the spec's kernel × in × out. */
function oikToKio(oik: Float32Array, kernel: number, inChannels: number, outChannels: number): Float32Array {
  const out = new Float32Array(oik.length);
  for (let o = 0; o < outChannels; o++)
    for (let i = 0; i < inChannels; i++) for (let k = 0; k < kernel; k++) out[(k * inChannels + i) * outChannels + o] = oik[(o * inChannels + i) * kernel + k]!;
  return out;
}

/** The values of an int64 initializer (a Reshape's shape). */
function intValues(t: TensorProto): number[] {
  if (t.dataType !== onnx.TensorProto.DataType.INT64) throw new Error(`initializer "${t.name}" is not int64 (data type ${t.dataType})`);
  if (t.rawData && t.rawData.length > 0) {
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    return Array.from({ length: t.rawData.length / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)));
  }
  return (t.int64Data ?? []).map(toNumber);
}

/** ONNX conv weights out × in × kernelH × kernelW → the spec's kernelH × kernelW × in × out. */
export function oihwToHwio(oihw: Float32Array, layer: Pick<Conv2dSpec, 'kernel' | 'inChannels' | 'outChannels'>): Float32Array {
  const [kh, kw] = layer.kernel;
  const ci = layer.inChannels;
  const co = layer.outChannels;
  const out = new Float32Array(oihw.length);
  for (let o = 0; o < co; o++)
    for (let i = 0; i < ci; i++)
      for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[((y * kw + x) * ci + i) * co + o] = oihw[((o * ci + i) * kh + y) * kw + x]!;
  return out;
}
