import type { OnnxModel } from '../onnx/runtime.ts';

/** Runs a model over `count` samples in batches; returns count × outputs. */
export async function runBatched(model: OnnxModel, inputs: Float32Array, count: number, batch = 1024, onBatch?: (done: number) => void): Promise<Float32Array> {
  const size = model.inputSize;
  if (inputs.length < count * size) throw new Error(`runBatched: ${count} samples of ${size} values need ${count * size} inputs, got ${inputs.length}`);
  let out: Float32Array | null = null;
  let width = 0;
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    const y = await model.run(inputs.subarray(start * size, (start + n) * size), n);
    if (!out) {
      width = y.length / n;
      out = new Float32Array(count * width);
    }
    out.set(y, start * width);
    onBatch?.(start + n);
  }
  return out ?? new Float32Array(0);
}
