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
import { formatDuration, modelCard, type CardFacts } from '../card.ts';
import { modelLines, summaryLine, validationLines } from './card-lines.ts';
import { paramCount, toNetworkSpec, type Architecture, type ParamInfo } from './model.ts';
import type { OptimizerSettings } from './optimizer.ts';
import { dataLines, displayPath, splitDescription, type TrainingData } from '../data.ts';
import type { FitRecord } from '../backend.ts';
import { describeSchedule } from '../schedule.ts';
import { balancedWeights, evaluate } from './run-data.ts';

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
  run: CardFacts['run'];
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
  const modelPath = join(opts.outDir, 'model.onnx');
  const bytes = writeModel(
    modelPath,
    architecture,
    f.layout,
    f.weights,
    classes,
    calibration.temperature,
    {
      trainer: 'hwr tfjs',
      backend: f.backend,
      temperature: calibration.temperature.toFixed(6),
      ...(decision ? { decision_offsets: decision.list } : {}),
      best_epoch: String(f.run.bestEpoch),
      validation_accuracy: report.accuracy.toFixed(4),
      validation_balanced_accuracy: report.balancedAccuracy.toFixed(4),
      dataset: displayPath(data.source),
      command: f.run.command,
      trained: new Date().toISOString(),
    },
    decision?.offsets,
  );
  artefacts.model = modelPath;

  const calibrationFacts = {
    ...calibration,
    eceBefore: expectedCalibrationError(logits, validation.labels, classes.length, 1, weights),
    eceAfter: expectedCalibrationError(calibrated, validation.labels, classes.length, 1, weights),
  };
  const o = f.optimizer;
  const card = modelCard({
    title: `${architecture.arch === 'cnn' ? 'CNN' : 'MLP (TensorFlow.js)'} — ${basename(opts.save ?? modelPath)}`,
    summary: summaryLine(architecture),
    model: modelLines(architecture, {
      parameters: paramCount(f.layout),
      modelBytes: bytes.length,
      classes,
      emnist: data.emnist,
      calibration: calibrationFacts,
      decision,
    }),
    data: dataLines(data),
    options: opts,
    split: splitDescription(data, opts.limit),
    colour: architecture.inputShape.length === 3 && architecture.inputShape[2] !== 1,
    backend: `${f.backend}; ${f.threads > 1 ? `${f.threads} data-parallel replicas` : 'one thread'}`,
    optimizer:
      o.kind === 'adam'
        ? `Adam (β1 ${o.momentum}, β2 0.999)${o.weightDecay ? ` with decoupled weight decay ${o.weightDecay} on kernels` : ''}`
        : `SGD with momentum ${o.momentum}`,
    schedule: describeSchedule('cosine', opts.learningRate, opts.epochs),
    selection: `${opts.balance ? 'balanced ' : ''}validation accuracy`,
    run: f.run,
    validation: validationLines(calibrationFacts, decision, classes, opts.balance),
    report,
    history: f.history,
  });
  const curvesPath = join(opts.outDir, 'curves.json');
  writeFileAtomic(
    curvesPath,
    JSON.stringify({ arch: architecture.arch, backend: f.backend, threads: f.threads, bestEpoch: f.run.bestEpoch, history: f.history }, null, 1),
  );
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
    `best epoch ${f.run.bestEpoch}: validation accuracy ${(report.accuracy * 100).toFixed(2)}%, balanced ${(report.balancedAccuracy * 100).toFixed(2)}%, ` +
      `temperature ${calibration.temperature.toFixed(3)} (NLL ${calibration.nllBefore.toFixed(4)} → ${calibration.nllAfter.toFixed(4)})` +
      `${decision ? `, decision offsets ${decision.list}` : ''}, ${formatDuration(f.run.seconds)}`,
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
  return classes
    .map((c, k) => (offsets[k] ? `${c} ${offsets[k]! > 0 ? '+' : ''}${offsets[k]!.toFixed(2)}` : ''))
    .filter(Boolean)
    .join(', ');
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
