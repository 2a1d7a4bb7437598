/**
 * The shipped CNN's speed: one training epoch with TensorFlow.js on the backend the trainer
 * picks (on machines without tfjs-node: WASM with hwr's gradient kernels and data-parallel replicas),
 * against the same network in PyTorch on the same data size in the same run; and inference
 * with onnxruntime-node on the exported model (throughput at batch 256, single-glyph latency).
 *
 *   npx tsx bench/cnn.ts          (or npm run bench cnn)
 *
 * Epoch: 10,800 random 32×32 glyphs (speed does not depend on the values), batch 64, Adam,
 * no augmentation (the PyTorch side has none), a warm-up of 20 batches first; PyTorch's epochs
 * run between ours (a warm-up epoch each, then three each; the fastest counts). On the WASM
 * backend two more figures show where its speed comes from: the same epoch on one thread, and
 * with gradients composed from XNNPACK's Conv2D/Transpose alone (no hwr kernels).
 */
import { TorchEpochs } from './torch-epochs.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { modelsDir } from '../app/base/paths.ts';
import { OnnxModel } from '../app/onnx/runtime.ts';
import { exportOnnx } from '../app/onnx/export.ts';
import { selectBackend } from '../app/train/tfjs/backend.ts';
import { createEngine, defaultReplicas, sharedImageSet } from '../app/train/tfjs/engine.ts';
import { defaultArchitecture, initialWeights, paramLayout, toNetworkSpec, type Architecture } from '../app/train/tfjs/model.ts';
import { applyUpdate, createOptimizerState } from '../app/train/tfjs/optimizer.ts';
import { shuffledEpoch } from '../app/train/sampling.ts';
import { useKernelBuild } from '../app/train/tfjs/wasm-kernels.ts';
import { CLASSES_36 } from '../app/contract.ts';

type Figure = { name: string; value: number; unit: string };

export const EPOCH_GLYPHS = 10_800;
export const EPOCH_BATCH = 64;

export async function benchCnn(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const architecture = defaultArchitecture('cnn', [32, 32, 1], CLASSES_36.length);
  // PyTorch's epochs run between ours, a warm-up each and then three each, and each side's fastest
  // counts (see bench/torch-epochs.ts): PyTorch's epoch varied from 2.6 to 8.8 s between runs.
  const torch = await TorchEpochs.start('torch_cnn_epoch.py', [JSON.stringify(torchSpec(architecture))]);
  const torchTimes: number[] = [];
  let epoch: Awaited<ReturnType<typeof tfjsEpoch>>;
  try {
    epoch = await tfjsEpoch(architecture, {
      rounds: 4,
      between: async (round) => {
        const seconds = torch ? await torch.epoch() : NaN;
        if (round > 0) torchTimes.push(seconds);
      },
    });
  } finally {
    torch?.close();
  }
  const list = (v: readonly number[]) => v.map((t) => t.toFixed(2)).join(', ');
  figures.push({
    name: 'cnn_epoch_s',
    value: epoch.seconds,
    unit: `s (${EPOCH_GLYPHS} glyphs, batch ${EPOCH_BATCH}, ${epoch.label}; fastest of 3 after a warm-up: ${list(epoch.times)})`,
  });
  if (torch) {
    const seconds = Math.min(...torchTimes);
    figures.push({
      name: 'torch_cnn_epoch_s',
      value: seconds,
      unit: `s (PyTorch ${torch.version}, ${torch.threads} threads, ${torch.python}; its epochs between ours: ${list(torchTimes)})`,
    });
    figures.push({ name: 'cnn_epoch_ratio_vs_torch', value: epoch.seconds / seconds, unit: '× (fastest epoch against fastest epoch; goal ≤ 1.5)' });
  }
  if (epoch.backend === 'wasm') {
    // Where the WASM figure comes from: one thread, and XNNPACK-composed gradients without our kernels.
    const one = await tfjsEpoch(architecture, { replicas: 0 });
    figures.push({ name: 'cnn_epoch_s_one_thread', value: one.seconds, unit: `s (${one.label})` });
    const xnnpack = await tfjsEpoch(architecture, { kernels: 'off' });
    figures.push({
      name: 'cnn_epoch_s_xnnpack_only',
      value: xnnpack.seconds,
      unit: `s (gradients from XNNPACK Conv2D/Transpose, no hwr kernels, ${xnnpack.threads} threads)`,
    });
  }
  figures.push(...(await inference(architecture)));
  return figures;
}

/**
 * Seconds for one epoch of training steps (gradient + Adam update), after a warm-up of 20
 * batches. `kernels: 'off'`: without hwr's WASM kernels (XNNPACK-composed gradients only).
 * `rounds` > 1: that many epochs, the first a warm-up, `between` called after each (its round);
 * the fastest of the others counts.
 */
export async function tfjsEpoch(
  architecture: Architecture,
  options: { replicas?: number; glyphs?: number; batch?: number; kernels?: 'off'; rounds?: number; between?: (round: number) => Promise<void> } = {},
): Promise<{ seconds: number; times: number[]; label: string; backend: string; threads: number }> {
  const backend = await selectBackend();
  const replicas = options.replicas ?? defaultReplicas(backend);
  const savedEnv = process.env.HWR_WASM_KERNELS;
  if (options.kernels === 'off') {
    process.env.HWR_WASM_KERNELS = 'off'; // read by replicas as they start
    useKernelBuild('off');
  }
  const glyphs = options.glyphs ?? EPOCH_GLYPHS;
  const batch = options.batch ?? EPOCH_BATCH;
  const layout = paramLayout(architecture);
  const weights = initialWeights(architecture, layout, 1);
  const random = { pixels: new Float32Array(glyphs * 1024), labels: new Int32Array(glyphs), height: 32, width: 32, channels: 1 };
  let s = 12345;
  for (let i = 0; i < random.pixels.length; i++) random.pixels[i] = ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
  for (let i = 0; i < glyphs; i++) random.labels[i] = i % architecture.classes;
  const all = Int32Array.from({ length: glyphs }, (_, i) => i);
  const train = sharedImageSet(random, all);
  const trainable = layout.map(() => true);
  const engine = await createEngine({ tf, backend: backend.name, architecture, layout, weights, trainable, train, replicas });
  if (options.kernels === 'off') {
    if (savedEnv === undefined) delete process.env.HWR_WASM_KERNELS;
    else process.env.HWR_WASM_KERNELS = savedEnv;
  }
  try {
    const state = createOptimizerState('adam', weights.length);
    const settings = { kind: 'adam' as const, momentum: 0.9 };
    const grads = new Float32Array(weights.length);
    const run = async (order: Int32Array, batches: number) => {
      for (let b = 0; b < batches; b++) {
        engine.setWeights(weights);
        await engine.gradients(order.subarray(b * batch, Math.min(order.length, (b + 1) * batch)), b, false, grads);
        applyUpdate(weights, grads, state, settings, 1e-3, layout, trainable);
      }
    };
    await run(shuffledEpoch(glyphs, 1, 0), 20);
    const rounds = options.rounds ?? 1;
    const times: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const order = shuffledEpoch(glyphs, 1, 1 + round);
      const t = performance.now();
      await run(order, Math.ceil(glyphs / batch));
      if (rounds === 1 || round > 0) times.push((performance.now() - t) / 1000);
      await options.between?.(round);
    }
    const seconds = Math.min(...times);
    return {
      seconds,
      times,
      label: `${backend.label}${engine.threads > 1 ? `, ${engine.threads} replicas` : ''}`,
      backend: backend.name,
      threads: engine.threads,
    };
  } finally {
    await engine.close();
    if (options.kernels === 'off') useKernelBuild(undefined);
  }
}

/** What torch_cnn_epoch.py builds and trains: the same network, data size and batch. */
function torchSpec(architecture: Architecture): Record<string, unknown> {
  return {
    input: architecture.inputShape,
    convs: architecture.convs.map((c) => [c.filters, c.kernel]),
    dense: architecture.dense,
    classes: architecture.classes,
    batch: EPOCH_BATCH,
    count: EPOCH_GLYPHS,
    lr: 1e-3,
  };
}

/** onnxruntime-node on models/cnn.onnx (or, before one is shipped, a freshly initialised export). */
export async function inference(architecture: Architecture): Promise<Figure[]> {
  const shipped = join(modelsDir, 'cnn.onnx');
  const source = existsSync(shipped)
    ? shipped
    : exportOnnx(
        toNetworkSpec(architecture, paramLayout(architecture), initialWeights(architecture, paramLayout(architecture), 1), {
          classes: CLASSES_36,
          temperature: 1,
        }),
      );
  const model = await OnnxModel.load(source);
  try {
    const input = new Float32Array(256 * 1024);
    for (let i = 0; i < input.length; i++) input[i] = (i * 7919) % 1000 < 150 ? 1 : 0;
    for (let i = 0; i < 10; i++) await model.run(input, 256);
    // Best of five one-second windows: the figure is what the model can do, not what a busy machine lets it.
    let best = 0;
    for (let w = 0; w < 5; w++) {
      let n = 0;
      const t = performance.now();
      while (performance.now() - t < 1000) {
        await model.run(input, 256);
        n += 256;
      }
      best = Math.max(best, n / ((performance.now() - t) / 1000));
    }
    const one = input.subarray(0, 1024);
    for (let i = 0; i < 100; i++) await model.run(one, 1);
    const times: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const t = performance.now();
      await model.run(one, 1);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const what = typeof source === 'string' ? 'models/cnn.onnx' : 'untrained export';
    return [
      { name: 'glyphs_per_s_batch256', value: Math.round(best), unit: `glyphs/s (onnxruntime-node, ${what}, goal ≥ 20000)` },
      { name: 'latency_p95_ms', value: times[Math.floor(times.length * 0.95)]!, unit: `ms (single glyph, ${what}, goal < 5)` },
    ];
  } finally {
    await model.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const f of await benchCnn()) console.log(`${f.name}: ${Number.isInteger(f.value) ? f.value : f.value.toPrecision(4)} ${f.unit}`);
}
