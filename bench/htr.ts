/**
 * The line recogniser's speed: one training epoch over a fixed set of 1,000 real lines (the
 * first Copiste pages in name order), with TensorFlow.js on the backend the trainer picks,
 * against the same network in PyTorch on lines of the same widths in the same run; and the time
 * to read one line (forward pass and greedy decoding, median over 50 lines).
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
import { loadLineDataset, padLines, type LineSample } from '../app/data/lines.ts';
import { Charset } from '../app/recognize/charset.ts';
import { greedyDecode } from '../app/recognize/ctc-decode.ts';
import { selectBackend } from '../app/train/tfjs/backend.ts';
import {
  ctcLossTf,
  defaultLineArchitecture,
  framesOf,
  initialLineWeights,
  lineLogits,
  lineParamLayout,
  type LineArchitecture,
} from '../app/train/tfjs/line-model.ts';

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
  const params = layout.map((p) => tf.variable(tf.tensor(flat.subarray(p.offset, p.offset + p.size), p.shape)));
  const batches = batchesOf(lines, arch, charset);
  const optimizer = tf.train.adam(1e-3);
  const step = (b: Batch) => {
    const input = tf.tensor4d(b.pixels, [b.count, arch.height, b.width, 1]);
    const loss = optimizer.minimize(() => ctcLossTf(tf, lineLogits(tf, arch, params, input, true, undefined, b.widths), b.labels, b.frames), true)!;
    loss.dataSync();
    tf.dispose([loss, input]);
  };
  step(batches[0]!); // warm-up
  const t0 = performance.now();
  for (const b of batches) step(b);
  const seconds = (performance.now() - t0) / 1000;
  figures.push({ name: 'crnn_epoch_s', value: seconds, unit: `s (${lines.length} lines, batch ${LINE_BATCH}, ${backend.label}, one thread)` });

  const torch = torchEpoch(arch, lines, charset);
  if (torch) {
    figures.push({ name: 'torch_crnn_epoch_s', value: torch.seconds, unit: `s (PyTorch ${torch.version}, ${torch.threads} threads)` });
    figures.push({ name: 'crnn_epoch_ratio_vs_torch', value: seconds / torch.seconds, unit: '× (goal ≤ 1.5)' });
  }

  const times: number[] = [];
  for (const line of lines.slice(0, 50)) {
    const t = performance.now();
    const input = tf.tensor4d(toUnitFloats(line.ink), [1, arch.height, line.width, 1]);
    const probs = tf.tidy(() => tf.softmax(lineLogits(tf, arch, params, input)));
    greedyDecode(probs.dataSync() as Float32Array, framesOf(arch, line.width), charset);
    tf.dispose([input, probs]);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  figures.push({ name: 'htr_line_ms_p50', value: times[times.length >> 1]!, unit: `ms (one line, TF.js ${backend.name}; recognition only)` });
  figures.push({ name: 'htr_bench_max_rss_mb', value: Math.round(process.resourceUsage().maxRSS / 1024), unit: 'MB (goal for training ≤ 4096)' });
  tf.dispose(params);
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

interface Batch {
  count: number;
  width: number;
  pixels: Float32Array;
  labels: Int32Array[];
  frames: number[];
  widths: number[];
}

/** Lines sorted by width, in batches padded to their widest line. */
function batchesOf(lines: readonly LineSample[], arch: LineArchitecture, charset: Charset): Batch[] {
  const order = lines.map((_, i) => i).sort((a, b) => lines[a]!.width - lines[b]!.width);
  const out: Batch[] = [];
  for (let s = 0; s < order.length; s += LINE_BATCH) {
    const group = order.slice(s, s + LINE_BATCH).map((i) => lines[i]!);
    const { pixels, width } = padLines(
      group.map((l) => ({ ink: toUnitFloats(l.ink), width: l.width })),
      arch.height,
    );
    out.push({
      count: group.length,
      width,
      pixels,
      labels: group.map((l) => charset.encode(l.text).labels),
      frames: group.map((l) => framesOf(arch, l.width)),
      widths: group.map((l) => l.width),
    });
  }
  return out;
}

function torchEpoch(arch: LineArchitecture, lines: readonly LineSample[], charset: Charset): { seconds: number; threads: number; version: string } | null {
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
    return { seconds: r.seconds, threads: r.threads, version: r.torch };
  } catch {
    return null; // no PyTorch here
  }
}
