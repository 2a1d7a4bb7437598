/**
 * One training epoch of the course MLP (1024-64-36, sigmoid hidden, softmax + cross-entropy,
 * plain SGD, batch 32) on 10,800 glyph-sized samples, in the engine and in numpy
 * (bench/numpy_mlp_epoch.py: same shapes, float32, same update), median of 3 after a warm-up.
 * The data are random: the speed of dense layers does not depend on the values. The inputs
 * are copied into engine memory once (toEngine), as a training command does with its set;
 * numpy likewise holds its data in its own arrays.
 *
 * Run alone: `npx tsx bench/mlp-epoch.ts`.
 */
import { pythonWith } from './python.ts';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRng } from '../app/base/random.ts';
import { allocate, backendInfo, dispose, mlp, ready, setThreads, SGD, toEngine, trainEpoch } from '../app/nn/index.ts';
import { kernels } from '../app/nn/backend.ts';

type Figure = { name: string; value: number; unit: string };

const COUNT = 10_800;
const INPUTS = 1024;
const CLASSES = 36;
const BATCH = 32;

/**
 * Floating-point operations of one epoch (2 per multiply-add). Per sample: the first layer's
 * forward product and its weight gradient (no input gradient: neither side computes one), and
 * the small second layer's forward, weight gradient and the hidden delta.
 */
const FIRST_LAYER_FLOP = COUNT * 2 * 2 * INPUTS * 64;
export const EPOCH_FLOP = FIRST_LAYER_FLOP + COUNT * 3 * 2 * 64 * CLASSES;

/** GEMM shapes (m × k by k × n) whose speed bounds the epoch: its own, and a large one that shows the kernels' best. */
const GEMMS = { mlp: [32, 1024, 64, false], mlp_grad: [1024, 32, 64, true], large: [256, 1024, 256, false] } as const;

/** GFLOP/s of the engine's GEMM kernels on each shape, best of 5 (the roofline the epoch runs under). */
function gemmRates(): Record<keyof typeof GEMMS, number> {
  const k = kernels();
  const out = {} as Record<keyof typeof GEMMS, number>;
  for (const [name, [m, inner, n, transposed]] of Object.entries(GEMMS) as [keyof typeof GEMMS, (typeof GEMMS)[keyof typeof GEMMS]][]) {
    const a = allocate(m * inner);
    const b = allocate(inner * n);
    const c = allocate(m * n);
    a.fill(0.5);
    b.fill(0.25);
    const reps = Math.max(1, Math.floor(2e9 / (2 * m * n * inner)));
    let best = Infinity;
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) {
        if (transposed) k.gemmTN(m, n, inner, a, b, c);
        else k.gemmNN(m, n, inner, a, b, c, null);
      }
      best = Math.min(best, (performance.now() - t0) / 1000);
    }
    out[name] = (2 * m * n * inner * reps) / best / 1e9;
  }
  return out;
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

function timeEpochs(threads: number): number {
  const rng = createRng(1);
  const inputs = toEngine(Float32Array.from({ length: COUNT * INPUTS }, () => rng.next()));
  const labels = new Int32Array(COUNT);
  for (let i = 0; i < COUNT; i++) labels[i] = rng.int(CLASSES);
  const net = mlp([INPUTS, 64, CLASSES], 'sigmoid', rng);
  const optimizer = new SGD(net.params(), { learningRate: 0.01 });
  const epoch = (): number => {
    const t0 = performance.now();
    const { meanLoss } = trainEpoch(net, optimizer, inputs, labels, COUNT, { batchSize: BATCH, rng });
    if (!Number.isFinite(meanLoss)) throw new Error(`mlp-epoch (${threads} threads): loss is ${meanLoss}`);
    return (performance.now() - t0) / 1000;
  };
  epoch();
  return median([epoch(), epoch(), epoch()]);
}

interface NumpyResult {
  seconds: number;
  blas: string;
  numpy: string;
  /** OPENBLAS_NUM_THREADS for this run, or 'default'. */
  blasThreads: string;
  /** The interpreter that ran it. */
  python: string;
  /** GFLOP/s of numpy's matrix products on the epoch's shapes and a large one. */
  gemm_gflops: Record<keyof typeof GEMMS, number>;
}

/**
 * The numpy epoch, run with OpenBLAS's default threads and with one thread; the faster is
 * the reference (on a busy machine BLAS threads can be many times slower than one).
 */
function numpyEpoch(): NumpyResult | null {
  const script = fileURLToPath(new URL('./numpy_mlp_epoch.py', import.meta.url));
  const python = pythonWith('numpy');
  if (!python) return null;
  const runs = ['default', '1'].map((threads): NumpyResult => {
    const env = { ...process.env };
    if (threads === 'default') delete env.OPENBLAS_NUM_THREADS;
    else env.OPENBLAS_NUM_THREADS = env.OMP_NUM_THREADS = threads;
    const run = spawnSync(python, [script], { encoding: 'utf8', timeout: 300_000, env });
    if (run.status !== 0) throw new Error(`numpy_mlp_epoch.py failed: ${run.stderr.trim().split('\n').pop()}`);
    return { ...(JSON.parse(run.stdout.trim().split('\n').pop()!) as Omit<NumpyResult, 'blasThreads' | 'python'>), blasThreads: threads, python };
  });
  return runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
}

export async function benchMlpEpoch(): Promise<Figure[]> {
  const info = backendInfo();
  const figures: Figure[] = [];
  await ready();
  const seconds = timeEpochs(info.threads);
  figures.push({ name: 'mlp_epoch_s', value: seconds, unit: `s (${info.kind}, ${info.threads} threads)` });
  const gemm = gemmRates();
  let oneThread: Record<keyof typeof GEMMS, number> | null = null;
  if (info.threads > 1) {
    await setThreads(1);
    figures.push({ name: 'mlp_epoch_1thread_s', value: timeEpochs(1), unit: `s (${info.kind}, 1 thread)` });
    const one = (oneThread = gemmRates());
    figures.push({
      name: 'engine_gemm_1thread_gflops',
      value: one.large,
      unit:
        `GFLOP/s (${info.kind}, 1 thread, 256×1024×256: one core of 128-bit SIMD at its best; ` +
        `the epoch's shapes: ${one.mlp.toFixed(0)} and ${one.mlp_grad.toFixed(0)})`,
    });
    await setThreads(info.threads);
  }
  await dispose();
  const numpy = numpyEpoch();
  if (numpy) {
    const threads = numpy.blasThreads === 'default' ? 'default threads' : `${numpy.blasThreads} thread`;
    figures.push({
      name: 'numpy_mlp_epoch_s',
      value: numpy.seconds,
      unit: `s (numpy ${numpy.numpy} float32, BLAS: ${numpy.blas}, ${threads}, ${numpy.python})`,
    });
    figures.push({ name: 'mlp_epoch_ratio_vs_numpy', value: seconds / numpy.seconds, unit: '× (engine time / numpy time; ≤ 1 is as fast)' });
    // The roofline: the epoch's two big products at the best speed the engine's kernels reach on their shapes
    // (alone or shared, as the engine itself chooses per call), everything else free. Above 1, no scheduling
    // of these kernels on this CPU reaches numpy's epoch.
    const gflop = EPOCH_FLOP / 1e9;
    const best = (name: keyof typeof GEMMS) => Math.max(gemm[name], oneThread?.[name] ?? 0);
    const floor = FIRST_LAYER_FLOP / 2e9 / best('mlp') + FIRST_LAYER_FLOP / 2e9 / best('mlp_grad');
    const shapes = (r: Record<keyof typeof GEMMS, number>) => `weight gradient ${r.mlp_grad.toFixed(0)}, large 256×1024×256 ${r.large.toFixed(0)}`;
    figures.push({ name: 'mlp_epoch_gflop', value: gflop, unit: 'GFLOP (forward, weight gradients, hidden delta)' });
    figures.push({
      name: 'engine_gemm_gflops',
      value: gemm.mlp,
      unit: `GFLOP/s (${info.kind}, ${info.threads} threads, forward 32×1024 by 1024×64; ${shapes(gemm)})`,
    });
    figures.push({ name: 'numpy_gemm_gflops', value: numpy.gemm_gflops.mlp, unit: `GFLOP/s (the same, ${threads}; ${shapes(numpy.gemm_gflops)})` });
    figures.push({
      name: 'simd_core_ratio',
      value: numpy.gemm_gflops.large / (oneThread ?? gemm).large,
      unit: '× (one core: numpy (AVX-512 here) over the engine (128-bit WebAssembly SIMD), large GEMM)',
    });
    figures.push({ name: 'achieved_gflops', value: gflop / seconds, unit: `GFLOP/s (engine epoch; numpy epoch ${(gflop / numpy.seconds).toFixed(1)})` });
    figures.push({
      name: 'mlp_epoch_floor_ratio_vs_numpy',
      value: floor / numpy.seconds,
      unit: "× (the engine epoch as nothing but its two big products at their best measured speed, over numpy's whole epoch; above 1: out of reach)",
    });
  }
  return figures;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const f of await benchMlpEpoch()) console.log(`${f.name}: ${Number.isInteger(f.value) ? f.value : f.value.toPrecision(4)} ${f.unit}`);
}
