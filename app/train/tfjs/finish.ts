/**
 * The end of a TensorFlow.js run: calibrate the best epoch's network (temperature on the
 * validation set, decision offsets for classes a look-alike pulls below the floor), export it to
 * ONNX with both baked in, and write its curves and pictures; fit.ts writes and installs the card.
 */
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../../base/atomic.ts';
import type { LabelledImages } from '../../data/glyphs.ts';
import { exportOnnx } from '../../onnx/export.ts';
import { confusionSvg, lineChartSvg, writeSvgPng } from '../plots.ts';
import type { TrainOptions } from '../types.ts';
import { expectedCalibrationError, fitTemperature } from './calibrate.ts';
import { crossFittedAccuracy, DEFAULT_OFFSETS, fitOffsets } from './decision.ts';
import { formatDuration, modelCard } from './card.ts';
import { paramCount, toNetworkSpec, type Architecture, type ParamInfo } from './model.ts';
import type { OptimizerSettings } from './optimizer.ts';
import { SPLIT_SEED, VALIDATION_FRACTION, type TrainingData } from '../data.ts';
import type { FitRecord } from '../fit.ts';
import { describeSchedule } from '../schedule.ts';
import { balancedWeights, displayPath, evaluate } from './run-data.ts';

export interface FinishInput {
  opts: TrainOptions;
  data: TrainingData;
  validation: LabelledImages;
  /** The best epoch's logits on the validation set. */
  logits: Float32Array;
  architecture: Architecture;
  layout: readonly ParamInfo[];
  weights: Float32Array;
  optimizer: OptimizerSettings;
  backend: string;
  threads: number;
  history: FitRecord[];
  bestEpoch: number;
  stoppedEarly: boolean;
  cancelled: boolean;
  resumedFrom?: number;
  seconds: number;
  log: (message: string) => void;
}

export async function finishRun(f: FinishInput): Promise<{ artefacts: Record<string, string>; validationAccuracy: number; card: string }> {
  const { opts, data, validation, logits, architecture } = f;
  const classes = [...validation.classes];
  const artefacts: Record<string, string> = {};
  const weights = opts.balance ? balancedWeights(validation) : undefined;
  const calibration = fitTemperature(logits, validation.labels, classes.length, weights);
  const decision = decisionOffsets(logits, validation, calibration.temperature, opts.floor ?? DEFAULT_OFFSETS.floor);
  // The model's own outputs: logits / T + offsets (what the exported network computes).
  const calibrated = logits.map((z, i) => z / calibration.temperature + (decision ? decision.offsets[i % classes.length]! : 0));
  const { report } = evaluate(calibrated, validation);
  const command = commandOf(opts);
  const modelPath = join(opts.outDir, 'model.onnx');
  const bytes = writeModel(modelPath, architecture, f.layout, f.weights, classes, calibration.temperature, {
    trainer: 'hwr tfjs',
    backend: f.backend,
    temperature: calibration.temperature.toFixed(6),
    ...(decision ? { decision_offsets: decision.list } : {}),
    best_epoch: String(f.bestEpoch),
    validation_accuracy: report.accuracy.toFixed(4),
    validation_balanced_accuracy: report.balancedAccuracy.toFixed(4),
    dataset: displayPath(data.source),
    command,
    trained: new Date().toISOString(),
  }, decision?.offsets);
  artefacts.model = modelPath;

  const card = modelCard({
    title: `${architecture.arch === 'cnn' ? 'CNN' : 'MLP (TensorFlow.js)'} — ${basename(opts.save ?? modelPath)}`,
    architecture,
    parameters: paramCount(f.layout),
    modelBytes: bytes.length,
    dataset: { source: displayPath(data.source), kind: data.kind, classes, total: data.set.count, train: data.train.length, validation: validation.count, limit: opts.limit, emnist: data.emnist },
    split: `stratified, ${VALIDATION_FRACTION * 100}% of every class held out for validation (splitTrainValidation, seed ${SPLIT_SEED})`,
    training: {
      epochsPlanned: opts.epochs,
      epochsRun: f.history.length ? f.history[f.history.length - 1]!.epoch : 0,
      bestEpoch: f.bestEpoch,
      batchSize: opts.batchSize,
      optimizer:
        f.optimizer.kind === 'adam'
          ? `Adam (β1 ${f.optimizer.momentum}, β2 0.999)${f.optimizer.weightDecay ? ` with decoupled weight decay ${f.optimizer.weightDecay} on kernels` : ''}`
          : `SGD with momentum ${f.optimizer.momentum}`,
      learningRate: describeSchedule('cosine', opts.learningRate, opts.epochs),
      balance: opts.balance,
      augment: opts.augment,
      patience: opts.patience,
      stoppedEarly: f.stoppedEarly,
      cancelled: f.cancelled,
      seed: opts.seed,
      initFrom: opts.initFrom,
      freezeFeatures: opts.freezeFeatures,
      resumedFrom: f.resumedFrom,
    },
    backend: f.backend,
    threads: f.threads,
    wallSeconds: f.seconds,
    command,
    calibration: {
      ...calibration,
      eceBefore: expectedCalibrationError(logits, validation.labels, classes.length, 1, weights),
      eceAfter: expectedCalibrationError(calibrated, validation.labels, classes.length, 1, weights),
    },
    decision,
    report,
    history: f.history,
    date: new Date().toISOString().slice(0, 10),
  });
  const curvesPath = join(opts.outDir, 'curves.json');
  writeFileAtomic(curvesPath, JSON.stringify({ arch: architecture.arch, backend: f.backend, threads: f.threads, bestEpoch: f.bestEpoch, history: f.history }, null, 1));
  artefacts.curves = curvesPath;
  try {
    const curvesPng = join(opts.outDir, 'curves.png');
    const series = [
      { name: 'accuracy', values: f.history.map((h) => h.validationAccuracy ?? NaN) },
      { name: 'balanced', values: f.history.map((h) => h.balancedAccuracy ?? NaN) },
    ];
    await writeSvgPng(curvesPng, lineChartSvg({ title: `${architecture.arch}: validation`, xLabel: 'epoch', yLabel: 'accuracy', series }));
    artefacts.curvesPicture = curvesPng;
    const confusionPng = join(opts.outDir, 'confusion.png');
    await writeSvgPng(confusionPng, confusionSvg(report.confusion, classes));
    artefacts.confusion = confusionPng;
  } catch (err) {
    f.log(`pictures not written: ${(err as Error).message}`);
  }

  f.log(
    `best epoch ${f.bestEpoch}: validation accuracy ${(report.accuracy * 100).toFixed(2)}%, balanced ${(report.balancedAccuracy * 100).toFixed(2)}%, ` +
      `temperature ${calibration.temperature.toFixed(3)} (NLL ${calibration.nllBefore.toFixed(4)} → ${calibration.nllAfter.toFixed(4)})` +
      `${decision ? `, decision offsets ${decision.list}` : ''}, ${formatDuration(f.seconds)}`,
  );
  return { artefacts, validationAccuracy: report.accuracy, card };
}

/**
 * Decision offsets for classes below `floor` (app/train/tfjs/decision.ts), with what they do on
 * data they were not fitted on (cross-fitted halves); null when no class needs one or floor is 0.
 */
function decisionOffsets(logits: Float32Array, validation: LabelledImages, temperature: number, floor: number) {
  if (!(floor > 0)) return null;
  const k = validation.classes.length;
  const fitted = fitOffsets(logits, validation.labels, k, temperature, { floor });
  if (fitted.offsets.every((v) => v === 0)) return null;
  const list = offsetList(fitted.offsets, validation.classes);
  return { ...fitted, floor, list, crossFitted: crossFittedAccuracy(logits, validation.labels, k, temperature, { floor }) };
}

function offsetList(offsets: ArrayLike<number>, classes: readonly string[]): string {
  return classes.map((c, k) => (offsets[k] ? `${c} ${offsets[k]! > 0 ? '+' : ''}${offsets[k]!.toFixed(2)}` : '')).filter(Boolean).join(', ');
}

/** Exports the network (temperature and decision offsets baked in) to `path`, atomically; returns the bytes. */
export function writeModel(
  path: string,
  a: Architecture,
  layout: readonly ParamInfo[],
  weights: Float32Array,
  classes: readonly string[],
  temperature: number,
  metadata: Record<string, string>,
  offsets?: ArrayLike<number>,
): Uint8Array {
  const bytes = exportOnnx(toNetworkSpec(a, layout, weights, { classes, temperature, offsets, metadata }));
  writeFileAtomic(path, bytes);
  return bytes;
}

/** The command line that reproduces the run (the CLI passes its own; else rebuilt from the options). */
export function commandOf(opts: TrainOptions): string {
  const given = (opts as TrainOptions & { command?: string }).command;
  if (given) return given;
  const parts = ['hwr train', `--arch ${opts.arch}`];
  if (opts.data) parts.push(`--data ${displayPath(opts.data)}`);
  if (opts.labels) parts.push(`--labels ${displayPath(opts.labels)}`);
  parts.push(`--epochs ${opts.epochs}`, `--lr ${opts.learningRate}`, `--batch ${opts.batchSize}`, `--momentum ${opts.momentum}`);
  if (!opts.augment) parts.push('--no-augment');
  if (!opts.balance) parts.push('--no-balance');
  parts.push(`--patience ${opts.patience}`, `--seed ${opts.seed}`);
  if (opts.limit) parts.push(`--limit ${opts.limit}`);
  if (opts.width !== undefined && opts.width !== 1) parts.push(`--width ${opts.width}`);
  if (opts.floor !== undefined) parts.push(`--floor ${opts.floor}`);
  if (opts.initFrom) parts.push(`--init-from ${displayPath(opts.initFrom)}`);
  if (opts.freezeFeatures) parts.push('--freeze');
  if (opts.save) parts.push(`--save ${displayPath(opts.save)}`);
  return parts.join(' ');
}
