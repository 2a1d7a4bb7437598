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
import { backendInfo, dispose, mlp, ready, setThreads, SGD, toEngine, trainEpoch } from '../app/nn/index.ts';

type Figure = { name: string; value: number; unit: string };

const COUNT = 10_800;
const INPUTS = 1024;
const CLASSES = 36;
const BATCH = 32;

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
  if (info.threads > 1) {
    await setThreads(1);
    figures.push({ name: 'mlp_epoch_1thread_s', value: timeEpochs(1), unit: `s (${info.kind}, 1 thread)` });
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
  }
  return figures;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const f of await benchMlpEpoch()) console.log(`${f.name}: ${Number.isInteger(f.value) ? f.value : f.value.toPrecision(4)} ${f.unit}`);
}
