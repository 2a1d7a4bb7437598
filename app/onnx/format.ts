import onnxProto from 'onnx-proto';
import { VARIABLE } from './shapes.ts';

/**
 * What the exporter writes and the importer expects, in one place: versions, tensor names,
 * metadata keys, the two layout transposes, and the protobuf helpers both sides share.
 */
export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.ModelProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;

export const IR_VERSION = 8;
export const OPSET = 13;
export const PRODUCER = 'hwr';

export const INPUT = 'input';
export const OUTPUT = 'output';
export const BATCH_DIM = 'N';

/** Keys of metadata_props that the exporter owns; spec.metadata may not use them. */
export const META_CLASSES = 'classes';
export const META_NAME = 'name';
export const META_INPUT_SHAPE = 'input_shape';
export const RESERVED_META = new Set([META_CLASSES, META_NAME, META_INPUT_SHAPE]);

/** Transpose perms around the NCHW stretch that Conv/MaxPool need (the spec is NHWC). */
export const TO_NCHW = [0, 3, 1, 2];
export const TO_NHWC = [0, 2, 3, 1];

/** Written into a Conv node's doc_string, so that a 'same' conv that needs no pixels of padding reads back as 'same'. */
export const PADDING_DOC = 'padding=';

/** A protobuf int64 (a number, or a Long when the `long` package is present) as a number. */
export function toNumber(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/** A float32 initializer stored as little-endian raw_data. */
export function floatTensor(name: string, dims: number[], data: Float32Array): TensorProto {
  const raw = new Uint8Array(data.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true);
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw };
}

/** The values of a float32 initializer, from raw_data or float_data. */
export function tensorFloats(t: TensorProto): Float32Array {
  if (t.dataType !== onnx.TensorProto.DataType.FLOAT) {
    throw new Error(`initializer "${t.name}" is not float32 (data type ${t.dataType})`);
  }
  const count = (t.dims ?? []).reduce<number>((a, d) => a * toNumber(d), 1);
  if (t.rawData && t.rawData.length > 0) {
    if (t.rawData.length !== count * 4) throw new Error(`initializer "${t.name}" holds ${t.rawData.length} bytes, expected ${count * 4}`);
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  const values = t.floatData ?? [];
  if (values.length !== count) throw new Error(`initializer "${t.name}" holds ${values.length} values, expected ${count}`);
  return Float32Array.from(values);
}

export function intsAttribute(name: string, ints: number[]): AttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints };
}

export function intAttribute(name: string, i: number): AttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i };
}

/** Parses ONNX bytes; throws a message that says the bytes are not an ONNX model. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  if (bytes.length === 0) throw new Error('the file is empty');
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new Error(`not a valid ONNX model: truncated, or not an .onnx file (protobuf: ${(err as Error).message})`, { cause: err });
  }
  if (!model.graph) throw new Error('not a valid ONNX model (no graph)');
  return model;
}

/** What a model says about itself: name, classes, per-sample input shape and free-form metadata. */
export interface OnnxInfo {
  name?: string;
  classes?: string[];
  inputShape: number[];
  /** metadata_props other than the keys the exporter owns (i.e. spec.metadata). */
  metadata: Record<string, string>;
}

/**
 * Reads the info of any single-input ONNX model: metadata_props written by our exporter where
 * present, else the graph input's static dims after the batch axis.
 */
export function modelInfo(model: ModelProto): OnnxInfo {
  const props = new Map((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  const metadata: Record<string, string> = {};
  for (const [key, value] of props) if (!RESERVED_META.has(key)) metadata[key] = value;
  const info: OnnxInfo = { inputShape: graphInputShape(model), metadata };
  const name = props.get(META_NAME);
  if (name !== undefined) info.name = name;
  const classes = props.get(META_CLASSES);
  if (classes !== undefined) info.classes = parseJson(classes, META_CLASSES, (v): v is string[] => Array.isArray(v) && v.every((c) => typeof c === 'string'));
  const shape = props.get(META_INPUT_SHAPE);
  if (shape !== undefined) {
    const declared = parseJson(
      shape,
      META_INPUT_SHAPE,
      (v): v is number[] => Array.isArray(v) && v.every((d) => Number.isInteger(d) && (d > 0 || d === VARIABLE)),
    );
    if (declared.join() !== info.inputShape.join()) {
      throw new Error(`metadata input_shape [${declared.join(', ')}] disagrees with the graph input [N, ${info.inputShape.join(', ')}]`);
    }
  }
  return info;
}

function parseJson<T>(text: string, key: string, check: (v: unknown) => v is T): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`metadata "${key}" is not JSON: ${text.slice(0, 80)}`);
  }
  if (!check(value)) throw new Error(`metadata "${key}" has the wrong form: ${text.slice(0, 80)}`);
  return value;
}

function graphInputShape(model: ModelProto): number[] {
  const graph = model.graph!;
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((i) => !initializers.has(i.name));
  if (inputs.length !== 1) throw new Error(`expected one graph input, found ${inputs.length}`);
  const dims = inputs[0]!.type?.tensorType?.shape?.dim ?? [];
  if (dims.length < 2) throw new Error(`graph input "${inputs[0]!.name}" has rank ${dims.length}; expected [batch, ...sample shape]`);
  return dims.slice(1).map((d, i) => {
    const value = toNumber(d.dimValue);
    // A named axis other than the batch is a size given at run time (the width of a line): -1.
    if (!(value > 0) && d.dimParam && i === 1 && dims.length === 4) return VARIABLE;
    if (!(value > 0)) throw new Error(`graph input "${inputs[0]!.name}" has no fixed size on axis ${i + 1}`);
    return value;
  });
}
