/**
 * The one training loop (Keras `fit`, Lightning `Trainer`): epochs, the order each epoch draws,
 * the learning-rate schedule, selection of the best epoch, patience, cancellation, checkpoints
 * and exact resume, ETA, progress events, the model card and --save. A model kind supplies a
 * TrainBackend (backend.ts): one epoch over the images fit orders, evaluation, its state as
 * arrays, its model file, and its own artefacts and card lines.
 *
 * Every random choice follows from (seed, epoch, batch), and the checkpoint after each epoch
 * holds the weights, the optimiser state, the best weights and the schedule, so a run resumed
 * from it continues exactly as the uninterrupted run would have.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeDirectory, writeFileAtomic } from '../base/atomic.ts';
import { commandOf } from './card.ts';
import { checkpointExists, readCheckpoint, runMismatch, writeCheckpoint, type RunKey } from './checkpoint.ts';
import { checkTrainOptions } from './options.ts';
import { epochOrder } from './sampling.ts';
import type { FitRecord, TrainBackend } from './backend.ts';
import { advanceSchedule, rateOf, startSchedule, type ScheduleState } from './schedule.ts';
import type { TrainEvent, TrainHooks, TrainOptions, TrainResult } from './types.ts';

/**
 * The options that must match for a resume. Epochs and patience may change: a run can be
 * extended (under the cosine schedule that also stretches the decay still to come).
 */
const RUN_OPTIONS = [
  'arch',
  'data',
  'labels',
  'limit',
  'seed',
  'batchSize',
  'learningRate',
  'momentum',
  'augment',
  'balance',
  'initFrom',
  'freezeFeatures',
  'width',
  'depth',
  'synthetic',
  'capitals',
] as const;

export function checkpointPath(outDir: string): string {
  return join(outDir, 'checkpoint', 'last.ckpt');
}

/** Checks the options, builds the backend (`build` may log) and trains it. */
export async function fit(o: TrainOptions, build: (log: (message: string) => void) => Promise<TrainBackend>, hooks: TrainHooks = {}): Promise<TrainResult> {
  checkTrainOptions(o);
  const started = Date.now();
  const emit = (event: TrainEvent) => hooks.onEvent?.(event);
  const log = (message: string) => emit({ type: 'log', message });
  const backend = await build(log);
  try {
    return await loop(o, backend, hooks, started, emit, log);
  } finally {
    await backend.close();
  }
}

async function loop(
  o: TrainOptions,
  backend: TrainBackend,
  hooks: TrainHooks,
  started: number,
  emit: (e: TrainEvent) => void,
  log: (m: string) => void,
): Promise<TrainResult> {
  makeDirectory(o.outDir);
  const modelPath = join(o.outDir, 'model.onnx');
  const ckptPath = checkpointPath(o.outDir);
  const run: RunKey = { ...Object.fromEntries(RUN_OPTIONS.map((k) => [k, o[k] ?? null])), ...backend.run };

  let history: FitRecord[] = [];
  let bestEpoch = 0;
  let bestScore = -Infinity;
  let bestWeights: Float32Array = backend.state().weights.slice();
  let schedule: ScheduleState = startSchedule(o.learningRate);
  let priorSeconds = 0;
  let resumedFrom: number | undefined;
  if (o.resume && checkpointExists(ckptPath)) {
    const ck = readCheckpoint(ckptPath);
    const mismatch = runMismatch(ck.header.run, run);
    if (mismatch) throw new Error(`cannot resume from ${ckptPath}: ${mismatch}; start a new run (another --out) or repeat the original options`);
    const { weights, best, ...arrays } = ck.arrays;
    if (!weights || !best) throw new Error(`cannot resume from ${ckptPath}: it holds no weights`);
    backend.restore({ weights, arrays, scalars: ck.header.backend });
    bestWeights = best;
    history = ck.header.history as FitRecord[];
    ({ bestEpoch, schedule } = ck.header);
    bestScore = ck.header.bestScore ?? -Infinity; // JSON has no -Infinity
    priorSeconds = ck.header.seconds;
    resumedFrom = ck.header.epoch;
    log(`resuming after epoch ${resumedFrom} of ${o.outDir} (best so far: epoch ${bestEpoch})`);
    // A cancelled or finished run keeps its final model; only a missing one is rewritten.
    if (bestEpoch > 0 && !existsSync(modelPath)) backend.writeModel(modelPath, bestWeights);
  } else if (o.resume) {
    log(`no checkpoint in ${dirname(ckptPath)}: starting from the beginning`);
  }

  const trainCount = backend.trainLabels.length;
  const batches = Math.ceil(trainCount / backend.batchSize);
  emit({
    type: 'start',
    arch: o.arch,
    backend: backend.label,
    epochs: o.epochs,
    batchesPerEpoch: batches,
    trainCount,
    validationCount: backend.validationCount,
  });
  log(`backend: ${backend.label}`);

  let cancelled = false;
  let stoppedEarly = false;
  const seconds = () => priorSeconds + (Date.now() - started) / 1000;
  const first = (resumedFrom ?? 0) + 1;
  for (let epoch = first; epoch <= o.epochs; epoch++) {
    if (o.patience > 0 && epoch - 1 - bestEpoch >= o.patience) break;
    const t0 = Date.now();
    const learningRate = rateOf(backend.schedule, schedule, o.learningRate, epoch, o.epochs);
    const order = epochOrder(backend.trainLabels, backend.classCount, backend.balanced, o.seed, epoch);
    const onBatch = (batch: number, of: number, loss: number) => emit({ type: 'batch', epoch, batch, batches: of, loss });
    const trainLoss = await backend.trainEpoch({ epoch, learningRate, order, seed: o.seed, signal: hooks.signal, onBatch });
    if (trainLoss === null || hooks.signal?.aborted) {
      cancelled = true;
      log(`cancelled in epoch ${epoch}; the model of epoch ${bestEpoch} stays`);
      break;
    }
    if (!Number.isFinite(trainLoss)) throw new Error(`epoch ${epoch}: the training loss is ${trainLoss}; lower the learning rate (now ${learningRate})`);
    const val = await backend.evaluate();
    const record: FitRecord = { epoch, trainLoss, ...val.record, validationLoss: val.validationLoss, learningRate, seconds: (Date.now() - t0) / 1000 };
    history.push(record);
    const state = backend.state();
    if (val.score > bestScore) {
      bestScore = val.score;
      bestEpoch = epoch;
      bestWeights = state.weights.slice();
      backend.writeModel(modelPath, bestWeights);
    }
    const scheduleNote = advanceSchedule(backend.schedule, schedule, epoch, bestEpoch);
    const header = { run, epoch, history, bestEpoch, bestScore, schedule, backend: state.scalars, seconds: seconds() };
    writeCheckpoint(ckptPath, header, { weights: state.weights, best: bestWeights, ...state.arrays });
    const recent = history.slice(-3);
    emit({ type: 'epoch', record, etaSeconds: (o.epochs - epoch) * (recent.reduce((a, h) => a + h.seconds, 0) / recent.length) });
    log(epochLine(record, o.epochs) + (epoch === bestEpoch ? '  (best)' : ''));
    if (scheduleNote) log(scheduleNote);
    if (o.patience > 0 && epoch - bestEpoch >= o.patience && epoch < o.epochs) {
      stoppedEarly = true;
      log(`early stop: no validation improvement for ${o.patience} epochs (best epoch ${bestEpoch})`);
      break;
    }
  }

  const result: TrainResult = {
    arch: o.arch,
    modelPath: bestEpoch > 0 ? modelPath : '',
    outDir: o.outDir,
    backend: backend.label,
    history,
    bestEpoch,
    cancelled,
    seconds: 0,
    artefacts: {},
  };
  if (bestEpoch > 0) {
    backend.restore({ ...backend.state(), weights: bestWeights });
    const epochsRun = history.at(-1)?.epoch ?? 0;
    const facts = {
      epochsRun,
      bestEpoch,
      stoppedEarly,
      cancelled,
      resumedFrom,
      seconds: seconds(),
      date: new Date().toISOString().slice(0, 10),
      command: commandOf(o),
    };
    const done = await backend.finish({ history, bestWeights, run: facts, modelPath, log });
    Object.assign(result.artefacts, done.artefacts);
    result.validationAccuracy = done.validationAccuracy;
    result.validationPsnr = done.validationPsnr;
    result.artefacts.card = join(o.outDir, backend.cardName);
    writeFileAtomic(result.artefacts.card, done.card);
    if (o.save && !cancelled) installModel(modelPath, done.card, o.save, result.artefacts);
  }
  result.seconds = seconds();
  emit({ type: 'done', result });
  return result;
}

/**
 * --save: the model, then its card beside it, each written atomically and flushed to the disk
 * (never after a cancel). Model first: a crash between the two leaves the new model with the old
 * card, never a card describing a model that is not there.
 */
export function installModel(modelPath: string, card: string, save: string, artefacts: Record<string, string>): void {
  makeDirectory(dirname(save));
  const cardPath = save.replace(/\.onnx$/i, '') + '.md';
  writeFileAtomic(save, readFileSync(modelPath), { durable: true });
  writeFileAtomic(cardPath, card, { durable: true });
  artefacts.installed = save;
  artefacts.installedCard = cardPath;
}

export function epochLine(r: FitRecord, epochs: number): string {
  const parts = [`epoch ${r.epoch}/${epochs}`, `train loss ${r.trainLoss.toFixed(4)}`];
  if (r.trainAccuracy !== undefined) parts.push(`train acc ${(r.trainAccuracy * 100).toFixed(2)}%`);
  parts.push(`val loss ${r.validationLoss.toFixed(4)}`);
  if (r.validationAccuracy !== undefined) parts.push(`val acc ${(r.validationAccuracy * 100).toFixed(2)}%`);
  if (r.balancedAccuracy !== undefined) parts.push(`balanced ${(r.balancedAccuracy * 100).toFixed(2)}%`);
  if (r.validationPsnr !== undefined) parts.push(`val psnr ${r.validationPsnr.toFixed(2)} dB`);
  if (r.cer !== undefined) parts.push(`val cer ${(r.cer * 100).toFixed(2)}%`);
  if (r.wer !== undefined) parts.push(`val wer ${(r.wer * 100).toFixed(2)}%`);
  parts.push(`lr ${r.learningRate.toExponential(2)}`, `${r.seconds.toFixed(1)}s`);
  return parts.join('  ');
}
