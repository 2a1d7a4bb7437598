/**
 * The line recogniser's speed: one training epoch over a fixed set of 1,000 real lines (the
 * first Copiste pages in name order), as `hwr train --arch crnn` trains (TensorFlow.js on the
 * backend the trainer picks, data-parallel replicas on a single-threaded one), against the same
 * network in PyTorch on lines of the same widths in the same run; and the time to read one line
 * as the app reads it (onnxruntime and greedy decoding, median over 50 lines).
 *
 *   npm run bench -- htr
 *
 * Batches of 16 lines of similar width, padded to the widest; Adam; CTC. Both sides are timed
 * alike, their epochs interleaved: a warm-up epoch each, then three each, the fastest counting.
 */
import { TorchEpochs } from './torch-epochs.ts';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { sharedDataDir } from '../app/base/paths.ts';
import { toUnitFloats } from '../app/data/idx.ts';
import { loadLineDataset, type LineSample } from '../app/data/lines.ts';
import { Charset } from '../app/recognize/charset.ts';
import { writeOnnx } from '../app/onnx/export.ts';
import { LineReader } from '../app/recognize/line-reader.ts';
import { selectBackend } from '../app/train/tfjs/backend.ts';
import { defaultReplicas } from '../app/train/tfjs/engine.ts';
import { createLineEngine, type LineItem } from '../app/train/tfjs/line-engine.ts';
import { defaultLineArchitecture, initialLineWeights, lineParamLayout, lineToNetworkSpec } from '../app/train/tfjs/line-model.ts';
import { applyUpdate, createOptimizerState } from '../app/train/tfjs/optimizer.ts';

type Figure = { name: string; value: number; unit: string };

export const EPOCH_LINES = 1000;
export const LINE_BATCH = 16;

export async function benchHtr(): Promise<Figure[]> {
  const data = sharedDataDir();
  if (!data) throw new Error('needs ../shared/data (the Copiste pages)');
  const lines = await firstLines(join(data, 'copiste'), EPOCH_LINES);
  const charset = Charset.fromTexts(lines.map((l) => l.text));
  const arch = defaultLineArchitecture(charset.size);
  const backend = await selectBackend();
  const figures: Figure[] = [];

  const layout = lineParamLayout(arch);
  const flat = initialLineWeights(layout, 1);
  const batches = batchesOf(lines, charset);
  // As `hwr train --arch crnn` trains: its engine (data-parallel replicas on a single-threaded
  // backend, one per core) and the Adam update on flat arrays.
  const replicas = defaultReplicas(backend);
  const engine = await createLineEngine({ tf, backend: backend.name, arch, layout, weights: flat, replicas });
  const grads = new Float32Array(flat.length);
  const state = createOptimizerState('adam', flat.length);
  const flatLayout = layout.map((p) => ({ ...p, output: p.name.startsWith('output') }));
  const trainable = layout.map(() => true);
  const step = async (b: LineItem[]) => {
    await engine.gradients(b, 1, grads);
    applyUpdate(flat, grads, state, { kind: 'adam', momentum: 0.9, weightDecay: 1e-4 }, 1e-3, flatLayout, trainable);
    engine.setWeights(flat);
  };
  // The PyTorch reference runs its epochs between ours (a warm-up each, then three each), and each
  // side is judged by its fastest epoch: on this machine an epoch's time varies by up to a half
  // from one to the next (PyTorch's most: its two threads wait on each other whenever either is
  // held up), and the fastest is each side's speed when nothing else got in the way.
  const spec = { arch, batch: LINE_BATCH, widths: lines.map((l) => l.width), lengths: lines.map((l) => charset.encode(l.text).labels.length) };
  const torch = await TorchEpochs.start('torch_crnn_epoch.py', [], JSON.stringify(spec));
  const times: number[] = [];
  const torchTimes: number[] = [];
  try {
    for (let epoch = 0; epoch < 4; epoch++) {
      const t0 = performance.now();
      for (const b of batches) await step(b);
      const mine = (performance.now() - t0) / 1000;
      const theirs = torch ? await torch.epoch() : NaN;
      if (epoch > 0) {
        times.push(mine);
        torchTimes.push(theirs);
      }
    }
  } finally {
    await engine.close();
    torch?.close();
  }
  const fastest = (v: readonly number[]) => Math.min(...v);
  const list = (v: readonly number[]) => v.map((t) => t.toFixed(1)).join(', ');
  const threads = engine.threads > 1 ? `${engine.threads} replicas, one thread each` : 'one thread';
  figures.push({
    name: 'crnn_epoch_s',
    value: fastest(times),
    unit: `s (${lines.length} lines, batch ${LINE_BATCH}, ${backend.label}, ${threads}; fastest of 3 epochs after a warm-up: ${list(times)})`,
  });
  if (torch) {
    figures.push({
      name: 'torch_crnn_epoch_s',
      value: fastest(torchTimes),
      unit: `s (PyTorch ${torch.version}, ${torch.threads} threads, ${torch.python}; its epochs between ours: ${list(torchTimes)})`,
    });
    figures.push({
      name: 'crnn_epoch_ratio_vs_torch',
      value: fastest(times) / fastest(torchTimes),
      unit: '× (fastest epoch against fastest epoch; goal ≤ 1.5)',
    });
  }

  // Reading as the app reads: the network exported to ONNX, run by onnxruntime, greedy decoding.
  const dir = mkdtempSync(join(tmpdir(), 'hwr-bench-htr-model-'));
  const lineTimes: number[] = [];
  try {
    const modelPath = join(dir, 'lines.onnx');
    writeOnnx(modelPath, lineToNetworkSpec(arch, layout, flat, charset.chars, { trainer: 'bench' }));
    const reader = await LineReader.load(modelPath);
    const inputs = lines.slice(0, 51).map((l) => ({ width: l.width, height: l.height, data: toUnitFloats(l.ink) }));
    await reader.read(inputs[0]!); // warm-up
    for (const line of inputs.slice(1)) {
      const t = performance.now();
      await reader.read(line);
      lineTimes.push(performance.now() - t);
    }
    await reader.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  lineTimes.sort((a, b) => a - b);
  figures.push({ name: 'htr_line_ms_p50', value: lineTimes[lineTimes.length >> 1]!, unit: 'ms (one line, onnxruntime, greedy decoding; recognition only)' });
  figures.push({ name: 'htr_bench_max_rss_mb', value: Math.round(process.resourceUsage().maxRSS / 1024), unit: 'MB (goal for training ≤ 4096)' });
  return figures;
}

/**
 * The first `count` lines of the Copiste pages, pages taken in name order, read ten pages at a
 * time. Each ten pages are linked from a folder of their own under the temporary directory and
 * cached there, so a second run reads no page again.
 */
async function firstLines(copiste: string, count: number): Promise<LineSample[]> {
  const root = join(tmpdir(), 'hwr-bench-htr');
  const names = readdirSync(join(copiste, 'alto')).sort();
  const lines: LineSample[] = [];
  for (let i = 0; i < names.length && lines.length < count; i += 10) {
    const dir = join(root, `pages-${i}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const name of names.slice(i, i + 10)) {
      symlinkSync(join(copiste, 'alto', name), join(dir, name));
      symlinkSync(join(copiste, 'jpg', name.replace(/\.xml$/, '.jpg')), join(dir, name.replace(/\.xml$/, '.jpg')));
    }
    lines.push(...(await loadLineDataset(dir, { cache: `${dir}.cache` })).lines);
  }
  return lines.slice(0, count);
}

/** Lines sorted by width, in batches of similar width (the engine pads each share to its widest line). */
function batchesOf(lines: readonly LineSample[], charset: Charset): LineItem[][] {
  const order = lines.map((_, i) => i).sort((a, b) => lines[a]!.width - lines[b]!.width);
  const out: LineItem[][] = [];
  for (let s = 0; s < order.length; s += LINE_BATCH) {
    out.push(
      order.slice(s, s + LINE_BATCH).map((i) => ({ ink: toUnitFloats(lines[i]!.ink), width: lines[i]!.width, labels: charset.encode(lines[i]!.text).labels })),
    );
  }
  return out;
}
