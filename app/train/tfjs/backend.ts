/**
 * Which TensorFlow.js backend trains, chosen once at start, best first:
 *   @tensorflow/tfjs-node-gpu (native TensorFlow with CUDA)
 *   → @tensorflow/tfjs-node (native TensorFlow on the CPU, all cores)
 *   → @tensorflow/tfjs-backend-wasm (XNNPACK with SIMD where the engine has it, plus the
 *     training kernels of wasm-kernels.ts; the second core comes from data-parallel replicas)
 *   → the plain-JS 'cpu' backend.
 * The native packages are optional (they download libtensorflow at install); a failed import
 * just moves down the chain and is reported in `skipped`.
 *
 * TensorFlow.js prints a banner recommending tfjs-node on first use of the 'cpu' backend, and
 * the native packages print on import; prod mode silences tfjs's own warnings and the console
 * is muted while a native package loads, so none of it reaches CLI output.
 */
import * as tf from '@tensorflow/tfjs';
import { prepareWasmKernels, registerWasmTrainingKernels } from './wasm-kernels.ts';

export type ModuleImporter = (specifier: string) => Promise<unknown>;

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendChoice {
  /** The tfjs backend name now active. */
  name: BackendName;
  /** The package that provides it. */
  package: string;
  /** For logs and the model card, e.g. "@tensorflow/tfjs-backend-wasm 4.22.0 (SIMD)". */
  label: string;
  /** Whether data-parallel replicas add cores (the native backends use all cores themselves). */
  singleThreaded: boolean;
  /** Candidates tried before, each with why it was not used. */
  skipped: string[];
}

interface Candidate {
  package: string;
  name: BackendName;
  describe: () => Promise<string>;
  singleThreaded: boolean;
  /** Loads the package (registers its backend); throws when it is not usable. */
  load: (importer: ModuleImporter) => Promise<void>;
}

const nativeImport = (specifier: string) => async (importer: ModuleImporter) => {
  await quietly(() => importer(specifier));
};

const CANDIDATES: Candidate[] = [
  {
    package: '@tensorflow/tfjs-node-gpu',
    name: 'tensorflow',
    singleThreaded: false,
    describe: async () => '@tensorflow/tfjs-node-gpu (native TensorFlow, CUDA)',
    load: nativeImport('@tensorflow/tfjs-node-gpu'),
  },
  {
    package: '@tensorflow/tfjs-node',
    name: 'tensorflow',
    singleThreaded: false,
    describe: async () => '@tensorflow/tfjs-node (native TensorFlow, CPU)',
    load: nativeImport('@tensorflow/tfjs-node'),
  },
  {
    package: '@tensorflow/tfjs-backend-wasm',
    name: 'wasm',
    singleThreaded: true,
    describe: async () => {
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      const ours = prepareWasmKernels(tf.backend());
      const kernels = ours === 'none' ? 'hwr kernels unavailable' : `hwr conv/gradient kernels, ${ours === 'relaxed-simd' ? 'relaxed SIMD (FMA)' : 'SIMD'}`;
      return `@tensorflow/tfjs-backend-wasm ${tf.version_core} (${simd ? 'SIMD' : 'no SIMD'}; XNNPACK + ${kernels})`;
    },
    load: async (importer) => {
      await importer('@tensorflow/tfjs-backend-wasm');
      registerWasmTrainingKernels();
    },
  },
  {
    package: '@tensorflow/tfjs-backend-cpu',
    name: 'cpu',
    singleThreaded: true,
    describe: async () => `@tensorflow/tfjs-backend-cpu ${tf.version_core} (plain JavaScript)`,
    load: async () => {},
  },
];

export interface SelectOptions {
  /** Loads a package by name (tests inject one). Default: dynamic import. */
  importer?: ModuleImporter;
  /**
   * Skip the better candidates and start at this package or backend name (e.g. 'wasm' for a
   * reproducible run, 'cpu' to check kernels). Default: $HWR_TF_BACKEND, else the whole chain.
   */
  start?: string;
}

/** Picks, loads and activates the backend; see the module comment for the order. */
export async function selectBackend(options: SelectOptions = {}): Promise<BackendChoice> {
  tf.enableProdMode(); // silences tfjs's console warnings (the tfjs-node banner among them)
  const importer = options.importer ?? ((specifier: string) => import(specifier));
  const start = options.start ?? process.env.HWR_TF_BACKEND;
  let candidates = CANDIDATES;
  if (start) {
    const at = CANDIDATES.findIndex((c) => c.package === start || c.name === start || c.package.endsWith(`/${start}`) || c.package.endsWith(`-${start}`));
    if (at < 0) throw new Error(`unknown TensorFlow.js backend "${start}" (expected one of ${CANDIDATES.map((c) => c.package).join(', ')})`);
    candidates = CANDIDATES.slice(at);
  }
  const skipped: string[] = [];
  for (const candidate of candidates) {
    try {
      await candidate.load(importer);
      const ok = await quietly(() => tf.setBackend(candidate.name));
      if (!ok) throw new Error(`tf.setBackend('${candidate.name}') failed`);
      await tf.ready();
      return { name: candidate.name, package: candidate.package, label: await candidate.describe(), singleThreaded: candidate.singleThreaded, skipped };
    } catch (err) {
      skipped.push(`${candidate.package}: ${firstLine(err)}`);
    }
  }
  throw new Error(`no TensorFlow.js backend could start:\n  ${skipped.join('\n  ')}`);
}

function firstLine(err: unknown): string {
  const code = (err as { code?: string } | null)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return 'not installed';
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]!.slice(0, 200);
}

/** Runs `f` with console.log/info/warn muted (native packages print on load). */
async function quietly<T>(f: () => Promise<T>): Promise<T> {
  const saved = { log: console.log, info: console.info, warn: console.warn };
  const mute = () => {};
  console.log = console.info = console.warn = mute;
  try {
    return await f();
  } finally {
    Object.assign(console, saved);
  }
}
