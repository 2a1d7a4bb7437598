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
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../../base/atomic.ts';
import { subset } from '../../data/glyphs.ts';
import type { TrainEvent, TrainHooks, TrainOptions, TrainResult } from '../types.ts';
import { selectBackend, type ModuleImporter } from './backend.ts';
import { checkpointExists, readCheckpoint, writeCheckpoint, type CheckpointHeader } from './checkpoint.ts';
import { createEngine, defaultWorkers, sharedImageSet } from './engine.ts';
import { fineTuneStart } from './fine-tune.ts';
import { finishRun, writeModel } from './finish.ts';
import { defaultArchitecture, describeArchitecture, initialWeights, paramCount, paramLayout, type TfArch } from './model.ts';
import { applyUpdate, createOptimizerState, learningRateAt, type OptimizerSettings, type OptimizerState } from './optimizer.ts';
import { loadTrainingData } from '../data.ts';
import { displayPath, evaluate, type EpochRecordPlus } from './run-data.ts';
import { balancedEpoch, mixSeed, shuffledEpoch } from './sampling.ts';

/** Settings that are not training options (tests and benchmarks use them). */
export interface TfjsSettings {
  /** Data-parallel worker threads (0 = this thread). Default: up to 4 on the single-threaded backends, else 0. */
  workers?: number;
  /** Start the backend chain here (see backend.ts); default $HWR_TF_BACKEND or the whole chain. */
  backend?: string;
  importer?: ModuleImporter;
}

const WEIGHT_DECAY = 1e-4;

export async function trainTfjs(opts: TrainOptions, hooks: TrainHooks = {}, settings: TfjsSettings = {}): Promise<TrainResult> {
  const started = Date.now();
  const arch = checkOptions(opts);
  const emit = (event: TrainEvent) => hooks.onEvent?.(event);
  const log = (message: string) => emit({ type: 'log', message });

  const backend = await selectBackend({ importer: settings.importer, start: settings.backend });

  const data = await loadTrainingData(opts);
  const { set } = data;
  const classes = [...set.classes];
  const imageShape: [number, number, number] = [set.height, set.width, set.channels];

  // The network: fresh, or fine-tuned from an exported model.
  let architecture = defaultArchitecture(arch, imageShape, classes.length, opts.width ?? 1);
  let layout = paramLayout(architecture);
  let weights: Float32Array = initialWeights(architecture, layout, opts.seed);
  let trainable = layout.map(() => true);
  if (opts.initFrom) {
    ({ architecture, layout, weights, trainable } = fineTuneStart(opts.initFrom, { arch, seed: opts.seed, freezeFeatures: opts.freezeFeatures }, architecture, classes, log));
  }

  const workers = settings.workers ?? defaultWorkers(backend);
  const threadsNote = workers > 1 ? `, ${workers} worker threads` : '';
  const tag = `[${backend.name}${threadsNote}]`;
  log(`${tag} TensorFlow.js backend: ${backend.label}${threadsNote}${backend.skipped.length ? ` (not used: ${backend.skipped.join('; ')})` : ''}`);
  log(`${tag} ${arch}: ${describeArchitecture(architecture)} (${paramCount(layout).toLocaleString('en-US')} parameters)`);

  const train = sharedImageSet(set, data.train);
  const validation = subset(set, data.validation);
  const optimizerSettings: OptimizerSettings = arch === 'cnn' ? { kind: 'adam', momentum: opts.momentum > 0 && opts.momentum < 1 ? opts.momentum : 0.9, weightDecay: WEIGHT_DECAY } : { kind: 'sgd', momentum: opts.momentum };
  let optimizer: OptimizerState = createOptimizerState(optimizerSettings.kind, weights.length);

  // Resume.
  const checkpointDir = join(opts.outDir, 'checkpoint');
  const lastPath = join(checkpointDir, 'last.ckpt');
  const runKey: CheckpointHeader['run'] = { arch, architecture, classes, trainCount: train.labels.length, validationCount: validation.count, seed: opts.seed, batchSize: opts.batchSize, dataset: displayPath(data.source) };
  let history: EpochRecordPlus[] = [];
  let startEpoch = 0;
  let bestEpoch = 0;
  let bestScore = -Infinity;
  let sinceBest = 0;
  let priorSeconds = 0;
  let bestWeights: Float32Array = weights.slice();
  /** The best weights' validation logits, when this process computed them (not after a resume). */
  let bestLogits: Float32Array | null = null;
  let resumedFrom: number | undefined;
  if (opts.resume) {
    if (checkpointExists(lastPath)) {
      const ck = readCheckpoint(lastPath);
      const mismatch = compareRuns(ck.header.run, runKey);
      if (mismatch) throw new Error(`cannot resume from ${lastPath}: ${mismatch}; start a new run (another --out) or repeat the original options`);
      weights = ck.arrays.weights!;
      bestWeights = ck.arrays.best!;
      optimizer = { kind: ck.header.optimizer.kind, step: ck.header.optimizer.step, m: ck.arrays.m!, v: ck.arrays.v ?? new Float32Array(0) };
      history = ck.header.history as EpochRecordPlus[];
      startEpoch = resumedFrom = ck.header.epoch;
      bestEpoch = ck.header.bestEpoch;
      bestScore = ck.header.bestScore;
      sinceBest = ck.header.sinceBest;
      priorSeconds = ck.header.seconds;
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
  let cancelled = false;
  let stoppedEarly = false;
  try {
    // The run folder keeps its model (calibrated, if the run had finished or been cancelled); only a missing one is rewritten.
    if (resumedFrom && bestEpoch > 0 && !existsSync(modelPath)) writeModel(modelPath, architecture, layout, bestWeights, classes, 1, { trainer: 'tfjs', note: 'uncalibrated, written during training' });

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
      const logits = await engine.logits(validation.pixels, validation.count);
      const evaluation = evaluate(logits, validation);
      const score = opts.balance ? evaluation.report.balancedAccuracy : evaluation.report.accuracy;
      const record: EpochRecordPlus = {
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
        bestLogits = logits;
        sinceBest = 0;
        writeModel(modelPath, architecture, layout, bestWeights, classes, 1, { trainer: 'tfjs', note: 'uncalibrated, written during training' });
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
    if (bestEpoch > 0) {
      let logits = bestLogits;
      if (!logits) {
        engine.setWeights(bestWeights);
        logits = await engine.logits(validation.pixels, validation.count);
      }
      const finished = await finishRun({
        opts,
        data,
        validation,
        logits,
        architecture,
        layout,
        weights: bestWeights,
        optimizer: optimizerSettings,
        backend: backend.label,
        threads: engine.threads,
        history,
        bestEpoch,
        stoppedEarly,
        cancelled,
        resumedFrom,
        seconds: priorSeconds + (Date.now() - started) / 1000,
        log: (m) => log(`${tag} ${m}`),
      });
      Object.assign(artefacts, finished.artefacts);
      validationAccuracy = finished.validationAccuracy;
    }
    const result: TrainResult = {
      arch,
      modelPath: bestEpoch > 0 ? modelPath : '',
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

function compareRuns(a: CheckpointHeader['run'], b: CheckpointHeader['run']): string | null {
  if (a.arch !== b.arch) return `it is a ${a.arch} run, this is ${b.arch}`;
  if (JSON.stringify(a.architecture) !== JSON.stringify(b.architecture)) return 'the network differs';
  if (a.classes.join() !== b.classes.join()) return 'the classes differ';
  if (a.trainCount !== b.trainCount || a.validationCount !== b.validationCount) return `the data differs (${a.trainCount}/${a.validationCount} images then, ${b.trainCount}/${b.validationCount} now)`;
  if (a.seed !== b.seed || a.batchSize !== b.batchSize) return 'the seed or batch size differs';
  return null;
}

