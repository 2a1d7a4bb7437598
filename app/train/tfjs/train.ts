/**
 * `hwr train --arch cnn|tfmlp`: trains a framework model with TensorFlow.js on any dataset
 * loadDataset reads, and writes into opts.outDir:
 *   model.onnx          the best epoch's network, temperature-calibrated (rewritten at each new
 *                       best while training, so a cancelled run keeps the last good model)
 *   checkpoint/last.ckpt weights, optimizer state and history after every epoch (atomic);
 *                       --resume continues from it
 *   curves.json, curves.png, confusion.png, model.md (the model card)
 * and, with opts.save, installs the model there with its card beside it (<save>.md).
 */
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../../atomic.ts';
import { CLASSES_36, classCounts, subset, type LabelledImages } from '../../data/glyphs.ts';
import { detectDatasetKind, loadDataset } from '../../data/index.ts';
import { splitTrainValidation } from '../../data/emnist-pool.ts';
import { createRng } from '../../data/random.ts';
import { sharedDataDir } from '../../paths.ts';
import { argmaxRows, classificationReport, type ClassificationReport } from '../metrics.ts';
import { confusionSvg, lineChartSvg, writeSvgPng } from '../plots.ts';
import { exportOnnx } from '../onnx/export.ts';
import { importOnnx } from '../onnx/import.ts';
import type { EpochRecord, TrainEvent, TrainHooks, TrainOptions, TrainResult } from '../types.ts';
import { selectBackend, type ModuleImporter } from './backend.ts';
import { expectedCalibrationError, fitTemperature } from './calibrate.ts';
import { formatDuration, modelCard } from './card.ts';
import { checkpointExists, readCheckpoint, writeCheckpoint, type CheckpointHeader } from './checkpoint.ts';
import { createEngine, sharedImageSet } from './engine.ts';
import {
  defaultArchitecture,
  describeArchitecture,
  fromNetworkSpec,
  initialWeights,
  paramCount,
  paramLayout,
  toNetworkSpec,
  type Architecture,
  type ParamInfo,
  type TfArch,
} from './model.ts';
import { applyUpdate, createOptimizerState, learningRateAt, type OptimizerSettings, type OptimizerState } from './optimizer.ts';
import { balancedEpoch, mixSeed, shuffledEpoch } from './sampling.ts';

/** Settings that are not training options (tests and benchmarks use them). */
export interface TfjsSettings {
  /** Data-parallel worker threads (0 = this thread). Default: up to 4 on the single-threaded backends, else 0. */
  workers?: number;
  /** Start the backend chain here (see backend.ts); default $HWR_TF_BACKEND or the whole chain. */
  backend?: string;
  importer?: ModuleImporter;
}

/** Share of each class held out for validation, and the split's seed (fixed, so figures compare across runs). */
export const VALIDATION_FRACTION = 0.1;
export const SPLIT_SEED = 1;
const WEIGHT_DECAY = 1e-4;

type Record2 = EpochRecord & { balancedAccuracy: number; learningRate: number };

export async function trainTfjs(opts: TrainOptions, hooks: TrainHooks = {}, settings: TfjsSettings = {}): Promise<TrainResult> {
  const started = Date.now();
  const arch = checkOptions(opts);
  const emit = (event: TrainEvent) => hooks.onEvent?.(event);
  const log = (message: string) => emit({ type: 'log', message });

  const backend = await selectBackend({ importer: settings.importer, start: settings.backend });

  const data = await loadData(opts);
  const { set, trainIndices, validationIndices } = data;
  const classes = [...set.classes];
  const imageShape: [number, number, number] = [set.height, set.width, set.channels];

  // The network: fresh, or fine-tuned from an exported model.
  let architecture = defaultArchitecture(arch, imageShape, classes.length);
  let layout = paramLayout(architecture);
  let weights: Float32Array = initialWeights(architecture, layout, opts.seed);
  let trainable = layout.map(() => true);
  if (opts.initFrom) {
    ({ architecture, layout, weights, trainable } = fineTuneStart(opts, arch, architecture, classes, log));
  }

  const workers = settings.workers ?? (backend.singleThreaded ? Math.min(4, availableParallelism()) : 0);
  const threadsNote = workers > 1 ? `, ${workers} worker threads` : '';
  const tag = `[${backend.name}${threadsNote}]`;
  log(`${tag} TensorFlow.js backend: ${backend.label}${threadsNote}${backend.skipped.length ? ` (not used: ${backend.skipped.join('; ')})` : ''}`);
  log(`${tag} ${arch}: ${describeArchitecture(architecture)} (${paramCount(layout).toLocaleString('en-US')} parameters)`);

  const train = sharedImageSet(set, trainIndices);
  const validation = subset(set, validationIndices);
  const optimizerSettings: OptimizerSettings = arch === 'cnn' ? { kind: 'adam', momentum: opts.momentum > 0 && opts.momentum < 1 ? opts.momentum : 0.9, weightDecay: WEIGHT_DECAY } : { kind: 'sgd', momentum: opts.momentum };
  let optimizer: OptimizerState = createOptimizerState(optimizerSettings.kind, weights.length);

  // Resume.
  const checkpointDir = join(opts.outDir, 'checkpoint');
  const lastPath = join(checkpointDir, 'last.ckpt');
  const runKey: CheckpointHeader['run'] = { arch, architecture, classes, trainCount: train.labels.length, validationCount: validation.count, seed: opts.seed, batchSize: opts.batchSize, dataset: data.source };
  let history: Record2[] = [];
  let startEpoch = 0;
  let bestEpoch = 0;
  let bestScore = -Infinity;
  let sinceBest = 0;
  let priorSeconds = 0;
  let bestWeights: Float32Array = weights.slice();
  let resumedFrom: number | undefined;
  if (opts.resume) {
    if (checkpointExists(lastPath)) {
      const ck = readCheckpoint(lastPath);
      const mismatch = compareRuns(ck.header.run, runKey);
      if (mismatch) throw new Error(`cannot resume from ${lastPath}: ${mismatch}; start a new run (another --out) or repeat the original options`);
      weights = ck.arrays.weights!;
      bestWeights = ck.arrays.best!;
      optimizer = { kind: ck.header.optimizer.kind, step: ck.header.optimizer.step, m: ck.arrays.m!, v: ck.arrays.v ?? new Float32Array(0) };
      history = ck.header.history as Record2[];
      startEpoch = resumedFrom = ck.header.epoch;
      bestEpoch = ck.header.bestEpoch;
      bestScore = ck.header.bestScore;
      sinceBest = ck.header.sinceBest;
      priorSeconds = ck.header.seconds;
      trainable = layout.map((p) => !(opts.freezeFeatures && opts.initFrom) || p.output);
      log(`${tag} resuming after epoch ${startEpoch} (best so far: epoch ${bestEpoch})`);
    } else {
      log(`${tag} no checkpoint in ${checkpointDir}: starting from the beginning`);
    }
  }

  const epochSize = train.labels.length;
  const batchesPerEpoch = Math.ceil(epochSize / opts.batchSize);
  emit({ type: 'start', arch, backend: `${backend.label}${threadsNote}`, epochs: opts.epochs, batchesPerEpoch, trainCount: epochSize, validationCount: validation.count });

  const engine = await createEngine({ tf, backend: backend.name, architecture, layout, weights, trainable, train, workers });
  const modelPath = join(opts.outDir, 'model.onnx');
  const grads = new Float32Array(weights.length);
  const classWeights = balancedWeights(validation);
  let cancelled = false;
  let stoppedEarly = false;
  let wroteModel = bestEpoch > 0;
  try {
    if (resumedFrom && bestEpoch > 0) writeModel(modelPath, architecture, layout, bestWeights, classes, 1, {});

    for (let epoch = startEpoch + 1; epoch <= opts.epochs; epoch++) {
      if (opts.patience > 0 && sinceBest >= opts.patience) break;
      const epochStart = Date.now();
      const order = opts.balance ? balancedEpoch(train.labels, classes.length, epochSize, opts.seed, epoch) : shuffledEpoch(epochSize, opts.seed, epoch);
      const learningRate = learningRateAt(opts.learningRate, epoch, opts.epochs);
      let lossSum = 0;
      for (let b = 0; b < batchesPerEpoch; b++) {
        if (hooks.signal?.aborted) {
          cancelled = true;
          break;
        }
        const indices = order.subarray(b * opts.batchSize, Math.min(epochSize, (b + 1) * opts.batchSize));
        engine.setWeights(weights);
        const loss = await engine.gradients(indices, mixSeed(opts.seed, epoch, b), opts.augment, grads);
        if (!Number.isFinite(loss)) throw new Error(`epoch ${epoch}, batch ${b + 1}: the loss is ${loss}; lower the learning rate (now ${learningRate})`);
        applyUpdate(weights, grads, optimizer, optimizerSettings, learningRate, layout, trainable);
        lossSum += loss * indices.length;
        emit({ type: 'batch', epoch, batch: b + 1, batches: batchesPerEpoch, loss });
      }
      if (cancelled) break;

      engine.setWeights(weights);
      const evaluation = evaluate(await engine.logits(validation.pixels, validation.count), validation);
      const score = opts.balance ? evaluation.report.balancedAccuracy : evaluation.report.accuracy;
      const record: Record2 = {
        epoch,
        trainLoss: lossSum / epochSize,
        validationLoss: evaluation.loss,
        validationAccuracy: evaluation.report.accuracy,
        balancedAccuracy: evaluation.report.balancedAccuracy,
        learningRate,
        seconds: (Date.now() - epochStart) / 1000,
      };
      history.push(record);
      if (score > bestScore) {
        bestScore = score;
        bestEpoch = epoch;
        bestWeights = weights.slice();
        sinceBest = 0;
        writeModel(modelPath, architecture, layout, bestWeights, classes, 1, { trainer: 'tfjs', note: 'uncalibrated, written during training' });
        wroteModel = true;
      } else {
        sinceBest++;
      }
      const done = history.reduce((s, h) => s + h.seconds, 0);
      writeCheckpoint(
        lastPath,
        { run: runKey, epoch, optimizer: { kind: optimizer.kind, step: optimizer.step }, history, bestEpoch, bestScore, sinceBest, seconds: priorSeconds + (Date.now() - started) / 1000 },
        { weights, m: optimizer.m, v: optimizer.v, best: bestWeights },
      );
      const meanEpoch = done / history.length;
      emit({ type: 'epoch', record, etaSeconds: meanEpoch * (opts.epochs - epoch) });
      log(
        `${tag} epoch ${epoch}/${opts.epochs}: loss ${record.trainLoss.toFixed(4)}, validation loss ${record.validationLoss.toFixed(4)}, ` +
          `accuracy ${(record.validationAccuracy! * 100).toFixed(2)}%, balanced ${(record.balancedAccuracy * 100).toFixed(2)}%, lr ${learningRate.toExponential(2)}, ${record.seconds.toFixed(1)} s${epoch === bestEpoch ? ' (best)' : ''}`,
      );
      if (opts.patience > 0 && sinceBest >= opts.patience && epoch < opts.epochs) {
        stoppedEarly = true;
        log(`${tag} early stop: no validation improvement for ${opts.patience} epochs`);
        break;
      }
    }

    const artefacts: Record<string, string> = {};
    const curvesPath = join(opts.outDir, 'curves.json');
    writeFileAtomic(curvesPath, JSON.stringify({ arch, backend: backend.label, threads: engine.threads, bestEpoch, history }, null, 1));
    artefacts.curves = curvesPath;
    let validationAccuracy: number | undefined;
    if (wroteModel && bestEpoch > 0) {
      // Calibrate the best epoch, export it and describe it.
      engine.setWeights(bestWeights);
      const logits = await engine.logits(validation.pixels, validation.count);
      const calibration = fitTemperature(logits, validation.labels, classes.length, opts.balance ? classWeights : undefined);
      const final = evaluate(logits, validation);
      validationAccuracy = final.report.accuracy;
      const seconds = priorSeconds + (Date.now() - started) / 1000;
      const command = commandOf(opts);
      const metadata: Record<string, string> = {
        trainer: 'hwr tfjs',
        backend: backend.label,
        temperature: calibration.temperature.toFixed(6),
        best_epoch: String(bestEpoch),
        validation_accuracy: final.report.accuracy.toFixed(4),
        validation_balanced_accuracy: final.report.balancedAccuracy.toFixed(4),
        dataset: data.source,
        command,
        trained: new Date().toISOString(),
      };
      const bytes = writeModel(modelPath, architecture, layout, bestWeights, classes, calibration.temperature, metadata);
      artefacts.model = modelPath;
      const card = modelCard({
        title: `${arch === 'cnn' ? 'CNN' : 'MLP (TensorFlow.js)'} — ${basename(opts.save ?? modelPath)}`,
        architecture,
        parameters: paramCount(layout),
        modelBytes: bytes.length,
        dataset: { source: data.source, kind: data.kind, classes, total: set.count, train: epochSize, validation: validation.count, limit: opts.limit, emnist: data.emnist },
        split: `stratified, ${VALIDATION_FRACTION * 100}% of every class held out for validation (splitTrainValidation, seed ${SPLIT_SEED})`,
        training: {
          epochsPlanned: opts.epochs,
          epochsRun: history.length ? history[history.length - 1]!.epoch : 0,
          bestEpoch,
          batchSize: opts.batchSize,
          optimizer: optimizerSettings.kind === 'adam' ? `Adam (β1 ${optimizerSettings.momentum}, β2 0.999) with decoupled weight decay ${WEIGHT_DECAY} on kernels` : `SGD with momentum ${optimizerSettings.momentum}`,
          learningRate: `${opts.learningRate} with cosine decay to ${(opts.learningRate * 0.02).toExponential(1)} over ${opts.epochs} epochs`,
          balance: opts.balance,
          augment: opts.augment,
          patience: opts.patience,
          stoppedEarly,
          cancelled,
          seed: opts.seed,
          initFrom: opts.initFrom,
          freezeFeatures: opts.freezeFeatures,
          resumedFrom,
        },
        backend: backend.label,
        threads: engine.threads,
        wallSeconds: seconds,
        command,
        calibration: {
          ...calibration,
          eceBefore: expectedCalibrationError(logits, validation.labels, classes.length, 1),
          eceAfter: expectedCalibrationError(logits, validation.labels, classes.length, calibration.temperature),
        },
        report: final.report,
        history,
        date: new Date().toISOString().slice(0, 10),
      });
      const cardPath = join(opts.outDir, 'model.md');
      writeFileAtomic(cardPath, card);
      artefacts.card = cardPath;
      try {
        const curvesPng = join(opts.outDir, 'curves.png');
        await writeSvgPng(curvesPng, lineChartSvg({ title: `${arch}: validation`, xLabel: 'epoch', yLabel: 'accuracy', series: [{ name: 'accuracy', values: history.map((h) => h.validationAccuracy ?? NaN) }, { name: 'balanced', values: history.map((h) => h.balancedAccuracy) }] }));
        artefacts.curvesPicture = curvesPng;
        const confusionPng = join(opts.outDir, 'confusion.png');
        await writeSvgPng(confusionPng, confusionSvg(final.report.confusion, classes));
        artefacts.confusion = confusionPng;
      } catch (err) {
        log(`${tag} pictures not written: ${(err as Error).message}`);
      }
      if (opts.save && !cancelled) {
        writeFileAtomic(opts.save, bytes);
        const savedCard = opts.save.replace(/\.onnx$/i, '') + '.md';
        writeFileAtomic(savedCard, card);
        artefacts.installed = opts.save;
        artefacts.installedCard = savedCard;
      }
      log(
        `${tag} best epoch ${bestEpoch}: validation accuracy ${(final.report.accuracy * 100).toFixed(2)}%, balanced ${(final.report.balancedAccuracy * 100).toFixed(2)}%, ` +
          `temperature ${calibration.temperature.toFixed(3)} (NLL ${calibration.nllBefore.toFixed(4)} → ${calibration.nllAfter.toFixed(4)}), ${formatDuration(seconds)}`,
      );
    }
    const result: TrainResult = {
      arch,
      modelPath: wroteModel ? modelPath : '',
      outDir: opts.outDir,
      backend: backend.label,
      history,
      bestEpoch,
      validationAccuracy,
      cancelled,
      seconds: priorSeconds + (Date.now() - started) / 1000,
      artefacts,
    };
    emit({ type: 'done', result });
    return result;
  } finally {
    await engine.close();
  }
}

function checkOptions(opts: TrainOptions): TfArch {
  if (opts.arch !== 'cnn' && opts.arch !== 'tfmlp') throw new Error(`trainTfjs trains 'cnn' and 'tfmlp', not '${opts.arch}'`);
  const positiveInt = (v: number, name: string) => {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  };
  positiveInt(opts.epochs, 'epochs');
  positiveInt(opts.batchSize, 'batch size');
  if (!(opts.learningRate > 0 && Number.isFinite(opts.learningRate))) throw new RangeError(`learning rate must be positive, got ${opts.learningRate}`);
  if (!(opts.momentum >= 0 && opts.momentum < 1)) throw new RangeError(`momentum must be in [0, 1), got ${opts.momentum}`);
  if (!Number.isInteger(opts.patience) || opts.patience < 0) throw new RangeError(`patience must be a whole number ≥ 0, got ${opts.patience}`);
  if (!Number.isInteger(opts.limit) || opts.limit < 0) throw new RangeError(`limit must be a whole number ≥ 0, got ${opts.limit}`);
  if (opts.freezeFeatures && !opts.initFrom) throw new Error('freezeFeatures needs initFrom (a model to fine-tune)');
  return opts.arch;
}

interface LoadedData {
  set: LabelledImages;
  trainIndices: Int32Array;
  validationIndices: Int32Array;
  source: string;
  kind: string;
  emnist: boolean;
}

async function loadData(opts: TrainOptions): Promise<LoadedData> {
  let path = opts.data;
  if (!path) {
    const shared = sharedDataDir();
    if (!shared) throw new Error('no dataset given and ../shared/data is absent: pass --data PATH (or set HWR_DATA)');
    path = join(shared, 'emnist36');
  }
  const kind = detectDatasetKind(path);
  const set = await loadDataset({ path, labels: opts.labels });
  const split = splitTrainValidation(set, { validationFraction: VALIDATION_FRACTION, seed: SPLIT_SEED });
  let trainIndices = split.train;
  if (opts.limit > 0 && opts.limit < trainIndices.length) {
    trainIndices = createRng(mixSeed(opts.seed, 0x11)).shuffle(trainIndices.slice()).subarray(0, opts.limit).sort();
  }
  if (trainIndices.length === 0) throw new Error(`${path}: no training images after the split`);
  if (split.validation.length === 0) throw new Error(`${path}: too few images for a validation split (${set.count})`);
  const emnist = kind === 'emnist-pool' || (kind === 'idx' && set.classes.join() === CLASSES_36.join() && /emnist/i.test(path));
  return { set, trainIndices, validationIndices: split.validation, source: path, kind, emnist };
}

function fineTuneStart(opts: TrainOptions, arch: TfArch, fresh: Architecture, classes: string[], log: (m: string) => void) {
  const path = opts.initFrom!;
  let spec;
  try {
    spec = importOnnx(readFileSync(path));
  } catch (err) {
    throw new Error(`--init-from ${path}: ${(err as Error).message}`, { cause: err });
  }
  const { architecture: imported, weights: importedWeights } = fromNetworkSpec(spec);
  if (imported.arch !== arch) throw new Error(`--init-from ${path} is a ${imported.arch} network, but --arch is ${arch}`);
  if (imported.inputShape.join() !== fresh.inputShape.join()) {
    throw new Error(`--init-from ${path} takes input [${imported.inputShape.join(', ')}], but the data gives [${fresh.inputShape.join(', ')}]`);
  }
  let architecture = imported;
  let weights = importedWeights;
  const sameClasses = (spec.classes ?? []).join('\u0000') === classes.join('\u0000');
  if (!sameClasses) {
    // New output layer for the new classes; everything before it is kept.
    architecture = { ...imported, classes: classes.length };
    const oldLayout = paramLayout(imported);
    const layout = paramLayout(architecture);
    weights = initialWeights(architecture, layout, opts.seed);
    for (const p of layout) {
      if (p.output) continue;
      const old = oldLayout.find((q) => q.name === p.name)!;
      weights.set(importedWeights.subarray(old.offset, old.offset + old.size), p.offset);
    }
    log(`fine-tuning ${path}: ${spec.classes?.length ?? '?'} → ${classes.length} classes, new output layer`);
  } else {
    log(`fine-tuning ${path} (same ${classes.length} classes)`);
  }
  const layout = paramLayout(architecture);
  const trainable = layout.map((p) => !opts.freezeFeatures || p.output);
  if (opts.freezeFeatures) log('feature layers frozen: only the output layer trains');
  return { architecture, layout, weights, trainable };
}

function compareRuns(a: CheckpointHeader['run'], b: CheckpointHeader['run']): string | null {
  if (a.arch !== b.arch) return `it is a ${a.arch} run, this is ${b.arch}`;
  if (JSON.stringify(a.architecture) !== JSON.stringify(b.architecture)) return 'the network differs';
  if (a.classes.join() !== b.classes.join()) return 'the classes differ';
  if (a.trainCount !== b.trainCount || a.validationCount !== b.validationCount) return `the data differs (${a.trainCount}/${a.validationCount} images then, ${b.trainCount}/${b.validationCount} now)`;
  if (a.seed !== b.seed || a.batchSize !== b.batchSize) return 'the seed or batch size differs';
  return null;
}

/** Per validation image: 1 / (its class's count), so every class weighs the same. */
function balancedWeights(set: LabelledImages): Float32Array {
  const counts = classCounts(set);
  const w = new Float32Array(set.count);
  for (let i = 0; i < set.count; i++) w[i] = 1 / counts[set.labels[i]!]!;
  return w;
}

function evaluate(logits: Float32Array, set: LabelledImages): { loss: number; report: ClassificationReport } {
  const k = set.classes.length;
  const predicted = argmaxRows(logits, set.count, k);
  let loss = 0;
  for (let i = 0; i < set.count; i++) {
    const row = i * k;
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, logits[row + j]!);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(logits[row + j]! - max);
    loss += Math.log(sum) + max - logits[row + set.labels[i]!]!;
  }
  return { loss: loss / set.count, report: classificationReport(predicted, set.labels, set.classes) };
}

function writeModel(path: string, a: Architecture, layout: readonly ParamInfo[], weights: Float32Array, classes: string[], temperature: number, metadata: Record<string, string>): Uint8Array {
  const bytes = exportOnnx(toNetworkSpec(a, layout, weights, { classes, temperature, metadata }));
  writeFileAtomic(path, bytes);
  return bytes;
}

/** The command line that reproduces the run (the CLI passes its own; else rebuilt from the options). */
function commandOf(opts: TrainOptions): string {
  const given = (opts as TrainOptions & { command?: string }).command;
  if (given) return given;
  const parts = ['hwr train', `--arch ${opts.arch}`];
  if (opts.data) parts.push(`--data ${opts.data}`);
  if (opts.labels) parts.push(`--labels ${opts.labels}`);
  parts.push(`--epochs ${opts.epochs}`, `--lr ${opts.learningRate}`, `--batch ${opts.batchSize}`, `--momentum ${opts.momentum}`);
  if (!opts.augment) parts.push('--no-augment');
  if (!opts.balance) parts.push('--no-balance');
  parts.push(`--patience ${opts.patience}`, `--seed ${opts.seed}`);
  if (opts.limit) parts.push(`--limit ${opts.limit}`);
  if (opts.initFrom) parts.push(`--init-from ${opts.initFrom}`);
  if (opts.freezeFeatures) parts.push('--freeze');
  if (opts.save) parts.push(`--save ${opts.save}`);
  return parts.join(' ');
}

