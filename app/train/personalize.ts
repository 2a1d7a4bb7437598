/**
 * "Retrain on my handwriting": fine-tunes a classifier on the user's samples mixed with replayed
 * base data (so it does not forget the base data), then measures the model before and after on
 * user samples held back from training and on base validation images, and says whether the new
 * model is better. It never activates anything itself: the caller does, on `report.improved`.
 *
 * Fine-tuning on a few thousand images drifts a network away from what it knew even with replay
 * (about a point of base accuracy in a few epochs). The shipped result is therefore a weight-space
 * blend of the model before and after, as in WiSE-FT (Wortsman et al. 2022, "Robust fine-tuning
 * of zero-shot models"): the largest share of the fine-tuned weights whose base accuracy, on
 * validation images kept apart from those reported, stays within half the allowed drop.
 *
 * Everything a run needs is written into its folder first (training data, held-back samples,
 * base validation, the "before" figures), so a run killed mid-epoch resumes from its checkpoint
 * with the same data, whatever happened to the sample store meanwhile.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../base/atomic.ts';
import { LIMITS, type AccuracyPair, type PersonalizationReport, CLASSES_36, CLASSES_62, GLYPH_VALUES } from '../contract.ts';
import { createRng } from '../base/random.ts';
import { OnnxModel } from '../onnx/runtime.ts';
import { writeOnnx } from '../onnx/export.ts';
import { importOnnx, readOnnxInfo } from '../onnx/import.ts';
import type { LayerSpec, NetworkSpec } from '../nn/spec.ts';
import { argmaxRows } from './metrics.ts';
import {
  concatGlyphs,
  glyphDataPath,
  glyphsToBytes,
  holdOut,
  loadBaseSubset,
  loadPoolFolder,
  pickGlyphs,
  poolFolderWritten,
  repeatGlyphs,
  writePoolFolder,
  type ByteGlyphs,
} from './personal-data.ts';
import { runBatched } from './predict.ts';
import { ARCH_DEFAULTS, trainModel } from './train.ts';
import type { Arch, TrainHooks, TrainOptions, TrainResult } from './types.ts';

export interface UserSamples {
  /** count × GLYPH_VALUES values in [0, 1], ink = 1. */
  glyphs: Float32Array;
  /** One class name per glyph. */
  labels: readonly string[];
}

export interface PersonalizeOptions {
  /** The model to fine-tune: the active classifier. */
  modelPath: string;
  /** How the model is named in the report (its id in the app). */
  modelId?: string;
  /** The base data: the EMNIST pool folder, or any glyph dataset with the model's classes. */
  baseData: string;
  /** The run's folder (model, checkpoint, data, report). */
  outDir: string;
  epochs: number;
  seed: number;
  /** Default: a tenth of the architecture's usual rate, as fits fine-tuning. */
  learningRate?: number;
  batchSize?: number;
  /** Base training images replayed alongside the user's (default 3000). */
  baseReplay?: number;
  /** Base validation images compared on (default 3000), and as many others to choose the blend on. */
  baseValidation?: number;
  /** Share of each class's samples held back to judge the result (default 0.4). */
  heldOutFraction?: number;
  /** Share of the training mix that is the user's samples, repeated as needed (default 0.25). */
  userShare?: number;
  /** The largest drop in base accuracy a better model may have (default 0.01 = 1 point). */
  maxBaseDrop?: number;
  /** Train only the output layer. */
  freezeFeatures?: boolean;
  /** Continue a run killed or cancelled mid-way, from its checkpoint. */
  resume?: boolean;
  command?: string;
}

export interface PersonalizeResult {
  train: TrainResult;
  report: PersonalizationReport;
}

/** Fewer samples than this cannot both teach the model and show whether it learned. */
export const MIN_SAMPLES = LIMITS.retrainSamples;

/** Architectures that can be fine-tuned, by what the model file says it is. */
const FINE_TUNABLE: Record<string, Arch> = { mlp: 'mlp', cnn: 'cnn', tfmlp: 'tfmlp' };

/** The trainer that fine-tunes a model of this kind (the model file's arch), if any. */
export function fineTunableArch(kind: string | undefined): Arch | undefined {
  return kind && Object.hasOwn(FINE_TUNABLE, kind) ? FINE_TUNABLE[kind] : undefined;
}
const FINE_TUNE_RATE: Record<Arch, number> = { mlp: 0.01, cnn: 0.0003, tfmlp: 0.01, ae: 0, crnn: 0 };

/** Shares of the fine-tuned weights tried, most adapted first. */
const BLENDS = [1, 0.75, 0.5, 0.25];
const PERSONALIZED_MODEL = 'personalized.onnx';

interface RunState {
  arch: Arch;
  before: AccuracyPair;
  /** Base accuracy on the tuning images, before. */
  beforeCheck: number;
  userTrain: number;
  userHeldOut: number;
  baseValidation: number;
  maxBaseDrop: number;
}

/** What prepare() knows before the model is measured. */
type Prepared = Omit<RunState, 'before' | 'beforeCheck'>;

const STATE_FILE = 'personalization-state.json';
const REPORT_FILE = 'personalization.json';

/** `trainer`: what runs the fine-tuning itself (default here; the app may send it to a queue worker). */
export async function retrainOnSamples(
  samples: UserSamples | null,
  o: PersonalizeOptions,
  hooks: TrainHooks = {},
  trainer: (opts: TrainOptions, hooks: TrainHooks) => Promise<TrainResult> = trainModel,
): Promise<PersonalizeResult> {
  const log = (message: string) => hooks.onEvent?.({ type: 'log', message });
  const dirs: DataDirs = {
    train: join(o.outDir, 'data', 'train'),
    heldOut: join(o.outDir, 'data', 'held-out'),
    base: join(o.outDir, 'data', 'base-validation'),
    check: join(o.outDir, 'data', 'base-check'),
  };
  const statePath = join(o.outDir, STATE_FILE);
  const resuming = Boolean(o.resume && existsSync(statePath) && Object.values(dirs).every(poolFolderWritten));
  let prepared: Prepared | null = null;
  if (resuming) {
    log(`resuming the personalisation in ${o.outDir}`);
  } else {
    if (!samples) throw new Error(`${o.outDir}: nothing to resume from, and no samples given`);
    prepared = await prepare(samples, o, dirs, log);
  }
  const classes = modelClasses(o.modelPath);
  const heldOut = await loadPoolFolder(dirs.heldOut, classes);
  const base = await loadPoolFolder(dirs.base, classes);
  const check = await loadPoolFolder(dirs.check, classes);
  let state: RunState;
  if (prepared) {
    // The model as it is, measured on the sets just written.
    const [user, baseAccuracy, beforeCheck] = (await accuracies(o.modelPath, [heldOut, base, check])) as [number, number, number];
    state = { ...prepared, before: { user, base: baseAccuracy }, beforeCheck };
    log(`before: ${describe(state.before)}`);
    writeFileAtomic(statePath, JSON.stringify(state, null, 1));
  } else {
    state = JSON.parse(readFileSync(statePath, 'utf8')) as RunState;
  }

  const train = await trainer(
    {
      arch: state.arch,
      data: glyphDataPath(dirs.train, classes),
      initFrom: o.modelPath,
      freezeFeatures: o.freezeFeatures,
      epochs: o.epochs,
      learningRate: o.learningRate ?? FINE_TUNE_RATE[state.arch],
      batchSize: o.batchSize ?? ARCH_DEFAULTS[state.arch].batchSize,
      momentum: 0.9,
      outDir: o.outDir,
      seed: o.seed,
      augment: true,
      balance: true,
      patience: 0,
      limit: 0,
      resume: resuming,
      command: o.command ?? `hwr app: retrain ${o.modelId ?? o.modelPath} on my handwriting, ${o.epochs} epochs`,
    },
    hooks,
  );

  let after: AccuracyPair | null = null;
  let chosen: Awaited<ReturnType<typeof chooseBlend>> | null = null;
  let blend = 0;
  if (train.bestEpoch > 0) {
    chosen = await chooseBlend(o.modelPath, train.modelPath, check, state.beforeCheck, state.maxBaseDrop / 2, join(o.outDir, PERSONALIZED_MODEL), log);
    blend = chosen.alpha;
    train.modelPath = chosen.path;
    after = await pairOf(train.modelPath, heldOut, base);
    log(`after: ${describe(after)} (before: ${describe(state.before)})`);
  }
  const report = judge(state, after, blend, o.modelId ?? o.modelPath, train.cancelled);
  if (chosen && after) stampModel(chosen.path, chosen.spec, report);
  writeFileAtomic(join(o.outDir, REPORT_FILE), JSON.stringify(report, null, 1) + '\n');
  log(report.verdict);
  return { train, report };
}

/**
 * The classes of a model that can be retrained: the 36 (A–Z 0–9) or the 62 (A–Z a–z 0–9), which
 * the run's data folders are written in (personal-data.ts: writePoolFolder).
 */
export function modelClasses(modelPath: string): readonly string[] {
  const classes = readOnnxInfo(readFileSync(modelPath)).classes;
  if (!classes) throw new Error(`${modelPath} is not a classifier (it names no classes)`);
  if (![CLASSES_36, CLASSES_62].some((c) => c.join() === classes.join()))
    throw new Error(
      `${modelPath}: only models of the 36 classes A–Z 0–9 or the 62 classes A–Z a–z 0–9 can be retrained on your handwriting; this one has ${classes.length}`,
    );
  return classes;
}

interface DataDirs {
  train: string;
  heldOut: string;
  base: string;
  check: string;
}

/**
 * The blend (1 − α)·before + α·after with the largest α whose base accuracy on the tuning images
 * is within `allowedDrop` of the model before, written to `out`. Layers must match one to one.
 */
async function chooseBlend(
  beforePath: string,
  afterPath: string,
  check: Labelled,
  beforeCheck: number,
  allowedDrop: number,
  out: string,
  log: (m: string) => void,
): Promise<{ alpha: number; path: string; spec: NetworkSpec }> {
  const before = importOnnx(readFileSync(beforePath));
  const after = importOnnx(readFileSync(afterPath));
  for (const alpha of BLENDS) {
    const spec = interpolate(before, after, alpha);
    if (!spec) {
      log('the fine-tuned network differs in shape from the one before: no blending');
      return { alpha: 1, path: afterPath, spec: after };
    }
    writeOnnx(out, spec);
    const [score] = (await accuracies(out, [check])) as [number];
    const ok = beforeCheck - score <= allowedDrop + 1e-9;
    log(`blend ${alpha}: base accuracy on the tuning images ${(score * 100).toFixed(1)}% (before ${(beforeCheck * 100).toFixed(1)}%)${ok ? ', kept' : ''}`);
    if (ok || alpha === BLENDS.at(-1)) return { alpha, path: out, spec };
  }
  throw new Error('unreachable');
}

/** (1 − α)·a + α·b, layer by layer; null when the two networks are not the same shape. */
function interpolate(a: NetworkSpec, b: NetworkSpec, alpha: number): NetworkSpec | null {
  if (a.layers.length !== b.layers.length) return null;
  const mix = (x: Float32Array, y: Float32Array) => y.map((v, i) => (1 - alpha) * x[i]! + alpha * v);
  const layers: LayerSpec[] = [];
  for (const [i, lb] of b.layers.entries()) {
    const la = a.layers[i]!;
    if (la.kind !== lb.kind) return null;
    if (lb.kind === 'dense' || lb.kind === 'conv2d') {
      const pa = la as typeof lb;
      if (pa.weights.length !== lb.weights.length || pa.bias.length !== lb.bias.length) return null;
      layers.push({ ...lb, weights: mix(pa.weights, lb.weights), bias: mix(pa.bias, lb.bias) });
    } else layers.push(lb);
  }
  return { ...b, layers, metadata: { ...b.metadata, blend_alpha: String(alpha) } };
}

/** Writes the model with the before/after figures in its metadata, where the Models view shows them. */
function stampModel(path: string, spec: NetworkSpec, report: PersonalizationReport): void {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  writeOnnx(path, {
    ...spec,
    metadata: {
      ...spec.metadata,
      personalized_from: report.baseModel,
      'user accuracy before': pct(report.before.user),
      'user accuracy after': pct(report.after!.user),
      'base accuracy before': pct(report.before.base),
      'base accuracy after': pct(report.after!.base),
    },
  });
}

/** Splits the samples, gathers the base data and writes it all into the run's folder; the model is measured by the caller. */
async function prepare(samples: UserSamples, o: PersonalizeOptions, dirs: DataDirs, log: (m: string) => void): Promise<Prepared> {
  const info = readOnnxInfo(readFileSync(o.modelPath));
  const kind = info.metadata.arch ?? info.name ?? '';
  const arch = fineTunableArch(kind);
  if (!arch) throw new Error(`${o.modelPath}: a '${kind || 'unknown'}' model cannot be fine-tuned here (one of ${Object.keys(FINE_TUNABLE).join(', ')})`);
  const classes = modelClasses(o.modelPath);

  const known = samples.labels.map((l) => classes.indexOf(l));
  const usable = known.flatMap((c, i) => (c >= 0 ? [i] : []));
  const foreign = new Set(samples.labels.filter((_, i) => known[i]! < 0));
  if (foreign.size) log(`skipping samples of ${[...foreign].map((l) => `'${l}'`).join(', ')}: not among the model's classes`);
  if (usable.length < MIN_SAMPLES) {
    throw new Error(
      `retraining needs at least ${MIN_SAMPLES} samples of your handwriting in the model's classes; ` +
        `there ${usable.length === 1 ? 'is' : 'are'} ${usable.length}. Draw some in the Draw view or correct a scan`,
    );
  }
  const all: ByteGlyphs = pickGlyphs(glyphsToBytes(samples.glyphs.subarray(0, samples.labels.length * GLYPH_VALUES), Int32Array.from(known)), usable);
  const split = holdOut(all.labels, o.heldOutFraction ?? 0.4, createRng(o.seed));
  if (split.heldOut.length === 0)
    throw new Error('retraining needs two or more samples of at least one character, so that some can be held back to judge the result');
  const userTrain = pickGlyphs(all, split.train);
  const userHeldOut = pickGlyphs(all, split.heldOut);

  const validation = o.baseValidation ?? 3000;
  const baseSubset = await loadBaseSubset(o.baseData, classes, { replay: o.baseReplay ?? 3000, validation, check: validation }, o.seed);
  // The user's few samples repeated (training augments every copy differently) to their share of the mix.
  const share = o.userShare ?? 0.25;
  const copies = Math.max(1, Math.round((share * baseSubset.replay.count) / ((1 - share) * Math.max(1, userTrain.count))));
  const mix = concatGlyphs([baseSubset.replay, repeatGlyphs(userTrain, copies)]);
  writePoolFolder(dirs.heldOut, userHeldOut, classes);
  writePoolFolder(dirs.base, baseSubset.validation, classes);
  writePoolFolder(dirs.check, baseSubset.check, classes);
  writePoolFolder(dirs.train, mix, classes);
  log(
    `personalisation data: ${userTrain.count} of your samples (×${copies}) and ${baseSubset.replay.count} base images to train on; ` +
      `${userHeldOut.count} of yours and ${baseSubset.validation.count} base images held back (${baseSubset.description})`,
  );

  return { arch, userTrain: userTrain.count, userHeldOut: userHeldOut.count, baseValidation: baseSubset.validation.count, maxBaseDrop: o.maxBaseDrop ?? 0.01 };
}

function judge(state: RunState, after: AccuracyPair | null, blend: number, baseModel: string, cancelled: boolean): PersonalizationReport {
  const { before, maxBaseDrop } = state;
  const common = {
    baseModel,
    userTrain: state.userTrain,
    userHeldOut: state.userHeldOut,
    baseValidation: state.baseValidation,
    before,
    after,
    blend,
    maxBaseDrop,
  };
  if (!after)
    return {
      ...common,
      improved: false,
      verdict: cancelled ? 'cancelled before the first epoch ended: the active model stays' : 'no model was made: the active model stays',
    };
  const points = (x: number) => `${(x * 100).toFixed(1)}%`;
  const userGain = after.user - before.user;
  const baseDrop = before.base - after.base;
  let verdict: string;
  let improved = false;
  const userMove = `${points(before.user)} → ${points(after.user)}`;
  const baseMove = `${points(before.base)} → ${points(after.base)}`;
  if (userGain <= 0) verdict = `not better on your held-back samples (${userMove}): the active model stays`;
  else if (baseDrop > maxBaseDrop + 1e-9)
    verdict =
      `better on your samples (${userMove}) but base accuracy fell ${(baseDrop * 100).toFixed(1)} points (${baseMove}), ` +
      `more than ${(maxBaseDrop * 100).toFixed(1)}: the active model stays`;
  else {
    improved = true;
    verdict = `better on your samples (${userMove}), base accuracy ${baseMove}${cancelled ? ' (cancelled; the best model so far)' : ''}`;
  }
  return { ...common, improved, verdict };
}

interface Labelled {
  pixels: Float32Array;
  labels: Int32Array;
  count: number;
}

/** Accuracy of a model file on each set. */
async function accuracies(modelPath: string, sets: readonly Labelled[]): Promise<number[]> {
  const model = await OnnxModel.load(modelPath, { intraOpThreads: 1 });
  try {
    const out: number[] = [];
    for (const set of sets) out.push(await accuracy(model, set));
    return out;
  } finally {
    await model.close();
  }
}

async function pairOf(modelPath: string, user: Labelled, base: Labelled): Promise<AccuracyPair> {
  const [u, b] = await accuracies(modelPath, [user, base]);
  return { user: u!, base: b! };
}

async function accuracy(model: OnnxModel, set: Labelled): Promise<number> {
  if (set.count === 0) return 0;
  const scores = await runBatched(model, set.pixels, set.count, 512);
  const predicted = argmaxRows(scores, set.count, scores.length / set.count);
  let right = 0;
  for (let i = 0; i < set.count; i++) if (predicted[i] === set.labels[i]) right++;
  return right / set.count;
}

function describe(a: AccuracyPair): string {
  return `your held-back samples ${(a.user * 100).toFixed(1)}%, base validation ${(a.base * 100).toFixed(1)}%`;
}
