/**
 * TensorFlow.js as a training backend for fit.ts (`hwr train --arch cnn|tfmlp`), on any dataset
 * loadDataset reads. Gradients come from this thread or from data-parallel replicas
 * (engine.ts); the update runs here on the flat weights (optimizer.ts), so weights and
 * optimiser moments are plain arrays that a checkpoint holds as they are. At the end
 * (finish.ts) the best epoch's network is calibrated, exported to model.onnx and described in
 * model.md, with curves.json, curves.png and confusion.png beside it.
 */
import { namingModel } from '../init-from.ts';
import * as tf from '@tensorflow/tfjs';
import { subset } from '../../data/glyphs.ts';
import { displayPath, loadTrainingData } from '../data.ts';
import type { TrainBackend } from '../backend.ts';
import { fit } from '../fit.ts';
import { mixSeed } from '../sampling.ts';
import type { TrainHooks, TrainOptions, TrainResult } from '../types.ts';
import { selectBackend, type ModuleImporter } from './backend.ts';
import { createEngine, defaultReplicas, sharedImageSet } from './engine.ts';
import { fineTuneStart } from './fine-tune.ts';
import { finishRun, writeModel } from './finish.ts';
import { defaultArchitecture, describeArchitecture, initialWeights, paramCount, paramLayout, type TfArch } from './model.ts';
import { applyUpdate, createOptimizerState, flatState, restoreFlatState, type OptimizerSettings } from './optimizer.ts';
import { evaluate } from './run-data.ts';

/** Settings that are not training options (tests and benchmarks use them). */
export interface TfjsSettings {
  /** Data-parallel replicas, each on its own thread (0 = this thread). Default: up to 4 on the single-threaded backends, else 0. */
  replicas?: number;
  /** Start the backend chain here (see backend.ts); default $HWR_TF_BACKEND or the whole chain. */
  backend?: string;
  importer?: ModuleImporter;
}

const WEIGHT_DECAY = 1e-4;

/** fit with this backend and these settings (trainModel uses the defaults). */
export function trainTfjs(opts: TrainOptions, hooks: TrainHooks = {}, settings: TfjsSettings = {}): Promise<TrainResult> {
  return fit(opts, (log) => tfjsBackend(opts, log, settings), hooks);
}

export async function tfjsBackend(opts: TrainOptions, log: (message: string) => void, settings: TfjsSettings = {}): Promise<TrainBackend> {
  if (opts.arch !== 'cnn' && opts.arch !== 'tfmlp') throw new Error(`the TensorFlow.js trainer trains 'cnn' and 'tfmlp', not '${opts.arch}'`);
  const arch: TfArch = opts.arch;
  const backend = await selectBackend({ importer: settings.importer, start: settings.backend });
  const data = await loadTrainingData(opts);
  const { set } = data;
  const classes = [...set.classes];

  // The network: fresh, or fine-tuned from an exported model.
  let architecture = defaultArchitecture(arch, [set.height, set.width, set.channels], classes.length, opts.width ?? 1);
  let layout = paramLayout(architecture);
  let weights: Float32Array = initialWeights(architecture, layout, opts.seed);
  let trainable = layout.map(() => true);
  if (opts.initFrom)
    ({ architecture, layout, weights, trainable } = namingModel(opts.initFrom, () =>
      fineTuneStart(opts.initFrom!, { arch, seed: opts.seed, freezeFeatures: opts.freezeFeatures }, architecture, classes, log),
    ));

  const replicas = settings.replicas ?? defaultReplicas(backend);
  const threadsNote = replicas > 1 ? `, ${replicas} replicas` : '';
  log(`TensorFlow.js backend: ${backend.label}${threadsNote}${backend.skipped.length ? ` (not used: ${backend.skipped.join('; ')})` : ''}`);
  log(`${arch}: ${describeArchitecture(architecture)} (${paramCount(layout).toLocaleString('en-US')} parameters)`);

  const train = sharedImageSet(set, data.train);
  const validation = subset(set, data.validation);
  const momentum = arch === 'cnn' && !(opts.momentum > 0 && opts.momentum < 1) ? 0.9 : opts.momentum;
  const optimizerSettings: OptimizerSettings = arch === 'cnn' ? { kind: 'adam', momentum, weightDecay: WEIGHT_DECAY } : { kind: 'sgd', momentum };
  const optimizer = createOptimizerState(optimizerSettings.kind, weights.length);
  const engine = await createEngine({ tf, backend: backend.name, architecture, layout, weights, trainable, train, replicas });
  const grads = new Float32Array(weights.length);
  const label = `${backend.label}${threadsNote}`;
  const logits = async (w: Float32Array) => {
    engine.setWeights(w);
    return engine.logits(validation.pixels, validation.count);
  };
  const model = (path: string, w: Float32Array) =>
    writeModel(path, architecture, layout, w, classes, 1, { trainer: 'tfjs', note: 'uncalibrated, written during training' });

  return {
    label,
    schedule: 'cosine',
    trainLabels: train.labels,
    classCount: classes.length,
    balanced: opts.balance,
    validationCount: validation.count,
    batchSize: opts.batchSize,
    run: { architecture, classes, trainCount: train.labels.length, validationCount: validation.count, dataset: displayPath(data.source) },
    cardName: 'model.md',

    async trainEpoch(plan) {
      const { order } = plan;
      const batches = Math.ceil(order.length / opts.batchSize);
      let lossSum = 0;
      for (let b = 0; b < batches; b++) {
        if (plan.signal?.aborted) return null;
        const indices = order.subarray(b * opts.batchSize, Math.min(order.length, (b + 1) * opts.batchSize));
        engine.setWeights(weights);
        const loss = await engine.gradients(indices, mixSeed(plan.seed, plan.epoch, b), opts.augment, grads);
        if (!Number.isFinite(loss))
          throw new Error(`epoch ${plan.epoch}, batch ${b + 1}: the loss is ${loss}; lower the learning rate (now ${plan.learningRate})`);
        applyUpdate(weights, grads, optimizer, optimizerSettings, plan.learningRate, layout, trainable);
        lossSum += loss * indices.length;
        plan.onBatch(b + 1, batches, loss);
      }
      return lossSum / order.length;
    },

    async evaluate() {
      const { loss, report } = evaluate(await logits(weights), validation);
      return {
        score: opts.balance ? report.balancedAccuracy : report.accuracy,
        validationLoss: loss,
        record: { validationAccuracy: report.accuracy, balancedAccuracy: report.balancedAccuracy },
      };
    },

    state: () => flatState(weights, optimizer),

    restore(s) {
      restoreFlatState(s, weights, optimizer);
    },

    writeModel: model,

    async finish(s) {
      return finishRun({
        opts,
        data,
        validation,
        logits: await logits(s.bestWeights),
        architecture,
        layout,
        weights: s.bestWeights,
        optimizer: optimizerSettings,
        backend: backend.label,
        threads: engine.threads,
        history: s.history,
        run: s.run,
        log: s.log,
      });
    },

    close: () => engine.close(),
  };
}
