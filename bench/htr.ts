/**
 * The line recogniser's speed: one training epoch over a fixed set of 1,000 real lines (the
 * first Copiste pages in name order), as `hwr train --arch crnn` trains (TensorFlow.js on the
 * backend the trainer picks, data-parallel replicas on a single-threaded one), against the same
 * network in PyTorch on lines of the same widths in the same run; and the time to read one line
 * as the app reads it (onnxruntime and greedy decoding, median over 50 lines).
 *
 *   npm run bench -- htr
 *
 * Batches of 16 lines of similar width, padded to the widest; Adam; CTC.
 */
import { execFileSync } from 'node:child_process';
import { pythonWithTorch } from './python.ts';
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
import { defaultLineArchitecture, initialLineWeights, lineParamLayout, lineToNetworkSpec, type LineArchitecture } from '../app/train/tfjs/line-model.ts';
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
  let seconds: number;
  try {
    await step(batches[0]!); // warm-up
    const t0 = performance.now();
    for (const b of batches) await step(b);
    seconds = (performance.now() - t0) / 1000;
  } finally {
    await engine.close();
  }
  const threads = engine.threads > 1 ? `${engine.threads} replicas, one thread each` : 'one thread';
  figures.push({ name: 'crnn_epoch_s', value: seconds, unit: `s (${lines.length} lines, batch ${LINE_BATCH}, ${backend.label}, ${threads})` });

  const torch = torchEpoch(arch, lines, charset);
  if (torch) {
    figures.push({ name: 'torch_crnn_epoch_s', value: torch.seconds, unit: `s (PyTorch ${torch.version}, ${torch.threads} threads, ${torch.python})` });
    figures.push({ name: 'crnn_epoch_ratio_vs_torch', value: seconds / torch.seconds, unit: '× (goal ≤ 1.5)' });
  }

  // Reading as the app reads: the network exported to ONNX, run by onnxruntime, greedy decoding.
  const dir = mkdtempSync(join(tmpdir(), 'hwr-bench-htr-model-'));
  const times: number[] = [];
  try {
    const modelPath = join(dir, 'lines.onnx');
    writeOnnx(modelPath, lineToNetworkSpec(arch, layout, flat, charset.chars, { trainer: 'bench' }));
    const reader = await LineReader.load(modelPath);
    const inputs = lines.slice(0, 51).map((l) => ({ width: l.width, height: l.height, data: toUnitFloats(l.ink) }));
    await reader.read(inputs[0]!); // warm-up
    for (const line of inputs.slice(1)) {
      const t = performance.now();
      await reader.read(line);
      times.push(performance.now() - t);
    }
    await reader.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  times.sort((a, b) => a - b);
  figures.push({ name: 'htr_line_ms_p50', value: times[times.length >> 1]!, unit: 'ms (one line, onnxruntime, greedy decoding; recognition only)' });
  figures.push({ name: 'htr_bench_max_rss_mb', value: Math.round(process.resourceUsage().maxRSS / 1024), unit: 'MB (goal for training ≤ 4096)' });
  return figures;
}

/** The first `count` lines of the Copiste pages, pages taken in name order. */
async function firstLines(copiste: string, count: number): Promise<LineSample[]> {
  const dir = mkdtempSync(join(tmpdir(), 'hwr-bench-htr-'));
  try {
    const names = readdirSync(join(copiste, 'alto')).sort();
    let lines: LineSample[] = [];
    for (let i = 0; i < names.length && lines.length < count; i += 10) {
      for (const name of names.slice(i, i + 10)) {
        symlinkSync(join(copiste, 'alto', name), join(dir, name));
        symlinkSync(join(copiste, 'jpg', name.replace(/\.xml$/, '.jpg')), join(dir, name.replace(/\.xml$/, '.jpg')));
      }
      lines = (await loadLineDataset(dir)).lines;
    }
    return lines.slice(0, count);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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

function torchEpoch(
  arch: LineArchitecture,
  lines: readonly LineSample[],
  charset: Charset,
): { seconds: number; threads: number; version: string; python: string } | null {
  const python = pythonWithTorch();
  if (!python) return null;
  const script = fileURLToPath(new URL('./torch_crnn_epoch.py', import.meta.url));
  const spec = { arch, batch: LINE_BATCH, widths: lines.map((l) => l.width), lengths: lines.map((l) => charset.encode(l.text).labels.length) };
  try {
    const out = execFileSync(python, [script], {
      input: JSON.stringify(spec),
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 1 << 20,
    });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { seconds: number; threads: number; torch: string };
    return { seconds: r.seconds, threads: r.threads, version: r.torch, python };
  } catch {
    return null; // no PyTorch here
  }
}
