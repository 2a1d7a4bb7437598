/**
 * The from-scratch engine (app/nn) as a training backend for fit.ts: the course's 1024-64-36
 * MLP and the 1024-32-32-32-1024 autoencoder. It trains an epoch in chunks (gathered and
 * augmented by the shared sampler, then mini-batch SGD with momentum), evaluates on validation,
 * gives its weights and SGD velocity as arrays for checkpoints, and at the end writes its
 * pictures (engine-artefacts.ts) and model card.
 */
import { namingModel } from './init-from.ts';
import { readFileSync } from 'node:fs';
import { createRng } from '../base/random.ts';
import { imageSize } from '../data/glyphs.ts';
import { autoencoder, backendInfo, mlp, Network, predict, ready, SGD, trainEpoch } from '../nn/index.ts';
import { replaceOutputLayer } from '../nn/spec.ts';
import { writeOnnx } from '../onnx/export.ts';
import { importOnnx } from '../onnx/import.ts';
import { MLP_HIDDEN } from './archs.ts';
import { modelCard } from './card.ts';
import { firstDense, toSpec, writeArtefacts } from './engine-artefacts.ts';
import { dataLines, loadTrainingData, splitDescription, type TrainingData } from './data.ts';
import type { BackendState, TrainBackend } from './backend.ts';
import { argmaxRows, classBalancedMean, classificationReport, mean, psnrPerImage } from './metrics.ts';
import { fillBatch, mixSeed } from './sampling.ts';
import { describeSchedule } from './schedule.ts';
import type { TrainOptions } from './types.ts';

/** Images gathered and augmented at a time: memory stays bounded whatever the epoch size. */
const CHUNK = 4096;
const TRAIN_ACCURACY_SAMPLE = 4096;

function buildNetwork(o: TrainOptions, data: TrainingData): Network {
  const inputs = imageSize(data.set);
  const rng = createRng(o.seed);
  const from = o.initFrom;
  if (from)
    return namingModel(from, () => {
      const spec = importOnnx(readFileSync(from));
      // New classes get a new output layer; the features carry over.
      const sameClasses = o.arch !== 'mlp' || (spec.classes ?? []).join() === data.set.classes.join();
      const net = Network.fromSpec(sameClasses ? spec : replaceOutputLayer(spec, data.set.classes.length, rng));
      if (net.inputSize !== inputs) throw new Error(`the model takes ${net.inputSize} values an image, the data's images have ${inputs}`);
      return net;
    });
  return o.arch === 'ae' ? autoencoder(rng, { sizes: [inputs, 32, 32, 32, inputs] }) : mlp([inputs, MLP_HIDDEN, data.set.classes.length], 'sigmoid', rng);
}

/** Concatenated copies of `arrays` (a checkpoint's flat view of per-parameter buffers). */
function flatten(arrays: readonly ArrayLike<number>[]): Float32Array {
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) out.set(a, (at += a.length) - a.length);
  return out;
}

function unflatten(flat: Float32Array, into: readonly { set(a: ArrayLike<number>): void; length: number }[], what: string): void {
  const total = into.reduce((n, a) => n + a.length, 0);
  if (flat.length !== total) throw new Error(`checkpoint: ${what} holds ${flat.length} values, the network ${total}`);
  let at = 0;
  for (const a of into) a.set(flat.subarray(at, (at += a.length)));
}

export async function engineBackend(o: TrainOptions): Promise<TrainBackend> {
  const isAe = o.arch === 'ae';
  const data = await loadTrainingData(o);
  const { set } = data;
  const size = imageSize(set);
  if (isAe && (set.channels !== 1 || set.height !== set.width))
    throw new Error(`the autoencoder takes square one-channel images; ${set.source} is ${set.height}×${set.width}×${set.channels}`);
  const net = buildNetwork(o, data);
  await ready();
  const info = backendInfo();
  const label = `from-scratch engine, ${info.kind} kernels, ${info.threads} thread${info.threads > 1 ? 's' : ''}${info.reason ? ` (${info.reason})` : ''}`;
  const weightsBefore = firstDense(net);
  const params = net.params();
  const optimizer = new SGD(o.freezeFeatures ? params.slice(-2) : params, { learningRate: o.learningRate, momentum: o.momentum });
  const velocities = optimizer.velocities.filter((v) => v !== null);

  const gather = (indices: ArrayLike<number>) => {
    const out = new Float32Array(indices.length * size);
    fillBatch(set, indices, out, null);
    return out;
  };
  const trainSample = data.train.subarray(0, Math.min(TRAIN_ACCURACY_SAMPLE, data.train.length));
  const valInputs = gather(data.validation);
  const valLabels = Int32Array.from(data.validation, (i) => set.labels[i]!);
  const sampleInputs = gather(trainSample);
  const sampleLabels = Int32Array.from(trainSample, (i) => set.labels[i]!);
  const valCount = data.validation.length;

  const evaluate = (inputs: Float32Array, labels: Int32Array, count: number) => {
    const out = predict(net, inputs, count);
    if (isAe) {
      // Same units as the training loss: squared error summed over a glyph's pixels, mean over glyphs.
      let se = 0;
      for (let i = 0; i < count * size; i++) se += (out[i]! - inputs[i]!) ** 2;
      const psnr = psnrPerImage(inputs, out, count, size);
      const natural = mean(psnr);
      const balancedPsnr = classBalancedMean(psnr, labels, set.classes.length);
      // The PSNR that picks the epoch, balanced or not as sampled: a balanced test set weighs every class equally.
      return { loss: se / count, psnr: natural, balancedPsnr, selectedPsnr: o.balance ? balancedPsnr : natural };
    }
    const k = set.classes.length;
    let nll = 0;
    for (let n = 0; n < count; n++) nll -= Math.log(Math.max(out[n * k + labels[n]!]!, 1e-12));
    const report = classificationReport(argmaxRows(out, count, k), labels, set.classes);
    return { loss: nll / count, report };
  };

  const state = (): BackendState => ({
    weights: flatten(params.map((p) => p.value)),
    arrays: velocities.length ? { velocity: flatten(velocities) } : {},
    scalars: {},
  });
  const restore = (s: BackendState) => {
    unflatten(
      s.weights,
      params.map((p) => p.value),
      'weights',
    );
    if (s.arrays.velocity) unflatten(s.arrays.velocity, velocities, 'velocity');
  };

  return {
    label,
    schedule: 'plateau',
    trainLabels: Int32Array.from(data.train, (i) => set.labels[i]!),
    classCount: set.classes.length,
    balanced: o.balance,
    validationCount: valCount,
    batchSize: o.batchSize,
    run: {
      network: net.toSpec().layers.map((l) => (l.kind === 'dense' ? `dense ${l.inputs}-${l.outputs}` : l.kind)),
      classes: [...set.classes],
      trainCount: data.train.length,
      validationCount: valCount,
    },
    cardName: 'card.md',

    async trainEpoch(plan) {
      optimizer.learningRate = plan.learningRate;
      const { order } = plan;
      const batches = Math.ceil(order.length / o.batchSize);
      const positions = new Int32Array(Math.min(CHUNK, order.length));
      const inputs = new Float32Array(positions.length * size);
      let lossSum = 0;
      for (let start = 0, chunk = 0; start < order.length; start += CHUNK, chunk++) {
        if (plan.signal?.aborted) return null;
        const count = Math.min(CHUNK, order.length - start);
        const chunkIndices = positions.subarray(0, count);
        for (let k = 0; k < count; k++) chunkIndices[k] = data.train[order[start + k]!]!;
        const x = inputs.subarray(0, count * size);
        fillBatch(set, chunkIndices, x, o.augment ? createRng(mixSeed(plan.seed, plan.epoch, chunk, 0xa06)) : null);
        const targets = isAe ? x : Int32Array.from(chunkIndices, (i) => set.labels[i]!);
        const r = trainEpoch(net, optimizer, x, targets, count, { batchSize: o.batchSize, loss: isAe ? 'squared-error' : 'softmax-cross-entropy' });
        lossSum += r.meanLoss * count;
        plan.onBatch(Math.ceil((start + count) / o.batchSize), batches, r.meanLoss);
        await new Promise((resolve) => setImmediate(resolve)); // let cancel and IPC through
      }
      return lossSum / order.length;
    },

    async evaluate() {
      const val = evaluate(valInputs, valLabels, valCount);
      if (!val.report) return { score: val.selectedPsnr!, validationLoss: val.loss, record: { validationPsnr: val.selectedPsnr, naturalPsnr: val.psnr } };
      // Model selection: balanced accuracy (a balanced test set weighs every class equally).
      const trainAccuracy = evaluate(sampleInputs, sampleLabels, trainSample.length).report?.accuracy;
      return { score: val.report.balancedAccuracy, validationLoss: val.loss, record: { trainAccuracy, validationAccuracy: val.report.accuracy } };
    },

    state,
    restore,

    writeModel(path, weights) {
      const current = state();
      restore({ ...current, weights });
      writeOnnx(path, toSpec(net, o, set.classes, set));
      restore(current);
    },

    async finish(s) {
      // Pictures and reports describe the best model, which is what was saved.
      const val = evaluate(valInputs, valLabels, valCount);
      const artefacts = await writeArtefacts(
        o,
        net,
        s.history,
        weightsBefore,
        val.report,
        isAe ? { inputs: valInputs, labels: valLabels, count: valCount, size, side: set.width } : undefined,
      );
      const best = s.history.find((h) => h.epoch === s.run.bestEpoch);
      const card = modelCard({
        title: isAe ? 'Autoencoder 1024-32-32-32-1024 (from-scratch engine)' : `Course MLP ${size}-${MLP_HIDDEN}-${set.classes.length} (from-scratch engine)`,
        model: [
          isAe
            ? '- Architecture: 1024-32-32-32-1024, ReLU hidden layers, sigmoid output, squared error'
            : `- Architecture: ${size}-${MLP_HIDDEN}-${set.classes.length}, sigmoid hidden layer, softmax output, cross-entropy, Xavier initialisation`,
        ],
        data: dataLines(data),
        options: o,
        split: splitDescription(data, o.limit),
        colour: set.channels !== 1,
        backend: label,
        optimizer: `mini-batch SGD with momentum ${o.momentum}`,
        schedule: describeSchedule('plateau', o.learningRate, o.epochs),
        selection: isAe ? (o.balance ? 'class-balanced validation PSNR' : 'validation PSNR') : 'balanced validation accuracy',
        run: s.run,
        validation: isAe
          ? [
              `- Mean per-image PSNR ${val.psnr!.toFixed(2)} dB (peak 1), validation loss ${best?.validationLoss.toFixed(5)}`,
              `- Class-balanced PSNR (mean of the per-class means, what a test set with as many of each class measures) ${val.balancedPsnr!.toFixed(2)} dB`,
            ]
          : [`- Validation loss ${best?.validationLoss.toFixed(4)}`],
        report: val.report,
        history: s.history,
      });
      return { artefacts, validationAccuracy: val.report?.accuracy, validationPsnr: val.selectedPsnr, card };
    },

    async close() {},
  };
}
