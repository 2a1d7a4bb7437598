/**
 * Training with the from-scratch engine (app/nn): the course's 1024-64-36 MLP and the
 * 1024-32-32-32-1024 autoencoder. Writes the model (ONNX), curves, weight pictures, the
 * confusion matrix or reconstructions, and a model card. The best model so far is always on
 * disk, written atomically, so an interrupted or cancelled run leaves the last good one.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEFAULT_AUGMENT } from '../data/augment.ts';
import { createRng } from '../base/random.ts';
import { imageSize } from '../data/glyphs.ts';
import { writeFileAtomic } from '../base/atomic.ts';
import { autoencoder, backendInfo, mlp, Network, ready, SGD, trainEpoch, predict, type Optimizer } from '../nn/index.ts';
import { replaceOutputLayer, type DenseSpec, type NetworkSpec } from '../nn/spec.ts';
import { writeOnnx } from '../onnx/export.ts';
import { importOnnx } from '../onnx/import.ts';
import { modelCard } from './card.ts';
import { loadTrainingData, type TrainingData } from './data.ts';
import { argmaxRows, classificationReport, mean, psnrPerImage, type ClassificationReport } from './metrics.ts';
import { confusionSvg, lineChartSvg, tileGrid, weightTiles, writeGrayPng, writeSvgPng } from './plots.ts';
import { epochChunks, epochIndices } from './sampling.ts';
import type { EpochRecord, TrainHooks, TrainOptions, TrainResult } from './types.ts';

const CHUNK = 4096;
const TRAIN_ACCURACY_SAMPLE = 4096;
/** Epochs without validation improvement before the learning rate is halved. */
const PLATEAU_EPOCHS = 3;
export const MLP_HIDDEN = 64;

export function validateOptions(o: TrainOptions): void {
  const bad = (what: string) => {
    throw new RangeError(`bad training parameter: ${what}`);
  };
  if (!Number.isInteger(o.epochs) || o.epochs < 1 || o.epochs > 10_000) bad(`epochs must be an integer from 1 to 10000, got ${o.epochs}`);
  if (!(o.learningRate > 0) || !Number.isFinite(o.learningRate) || o.learningRate > 10) bad(`learning rate must be > 0 and ≤ 10, got ${o.learningRate}`);
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1 || o.batchSize > 65536) bad(`batch size must be an integer from 1 to 65536, got ${o.batchSize}`);
  if (!(o.momentum >= 0 && o.momentum < 1)) bad(`momentum must be in [0, 1), got ${o.momentum}`);
  if (!Number.isInteger(o.patience) || o.patience < 0) bad(`patience must be a whole number ≥ 0, got ${o.patience}`);
  if (!Number.isInteger(o.limit) || o.limit < 0) bad(`limit must be a whole number ≥ 0, got ${o.limit}`);
  if (!Number.isInteger(o.seed)) bad(`seed must be an integer, got ${o.seed}`);
}

interface Checkpoint {
  history: EpochRecord[];
  learningRate: number;
  bestEpoch: number;
  bestScore: number;
  options: TrainOptions;
}

function buildNetwork(o: TrainOptions, data: TrainingData, rng: ReturnType<typeof createRng>): Network {
  const inputs = imageSize(data.set);
  if (o.initFrom) {
    const spec = importOnnx(readFileSync(o.initFrom));
    // New classes get a new output layer; the features carry over.
    const sameClasses = o.arch !== 'mlp' || (spec.classes ?? []).join() === data.set.classes.join();
    return Network.fromSpec(sameClasses ? spec : replaceOutputLayer(spec, data.set.classes.length, rng));
  }
  return o.arch === 'ae' ? autoencoder(rng, { sizes: [inputs, 32, 32, 32, inputs] }) : mlp([inputs, MLP_HIDDEN, data.set.classes.length], 'sigmoid', rng);
}

function firstDense(net: Network): DenseSpec | undefined {
  return net.toSpec().layers.find((l): l is DenseSpec => l.kind === 'dense');
}

export async function trainEngine(o: TrainOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  validateOptions(o);
  const started = Date.now();
  const emit = hooks.onEvent ?? (() => {});
  const isAe = o.arch === 'ae';
  const data = await loadTrainingData(o);
  const { set } = data;
  const size = imageSize(set);
  if (isAe && (set.channels !== 1 || set.height !== set.width)) throw new Error(`the autoencoder takes square one-channel images; ${set.source} is ${set.height}×${set.width}×${set.channels}`);
  mkdirSync(o.outDir, { recursive: true });
  const modelPath = join(o.outDir, 'model.onnx');
  const checkpointPath = join(o.outDir, 'checkpoint.json');
  const rng = createRng(o.seed);

  let net: Network;
  let history: EpochRecord[] = [];
  let bestEpoch = 0;
  let bestScore = -Infinity;
  let learningRate = o.learningRate;
  if (o.resume && existsSync(checkpointPath) && existsSync(modelPath)) {
    const saved = JSON.parse(readFileSync(checkpointPath, 'utf8')) as Checkpoint;
    net = Network.fromSpec(importOnnx(readFileSync(modelPath)));
    ({ history, bestEpoch, bestScore } = saved);
    learningRate = saved.learningRate ?? learningRate;
    history = history.filter((h) => h.epoch <= bestEpoch);
    emit({ type: 'log', message: `resuming from epoch ${bestEpoch} of ${o.outDir}` });
  } else {
    net = buildNetwork(o, data, rng);
  }
  await ready();
  const info = backendInfo();
  const backend = `from-scratch engine, ${info.kind} kernels, ${info.threads} thread${info.threads > 1 ? 's' : ''}${info.reason ? ` (${info.reason})` : ''}`;
  const weightsBefore = firstDense(net);
  const params = o.freezeFeatures ? net.params().slice(-2) : net.params();
  const optimizer: Optimizer = new SGD(params, { learningRate, momentum: o.momentum });

  const trainSample = data.train.subarray(0, Math.min(TRAIN_ACCURACY_SAMPLE, data.train.length));
  const gather = (indices: Int32Array) => {
    const out = new Float32Array(indices.length * size);
    indices.forEach((i, k) => out.set(set.pixels.subarray(i * size, (i + 1) * size), k * size));
    return out;
  };
  const valInputs = gather(data.validation);
  const valLabels = Int32Array.from(data.validation, (i) => set.labels[i]!);
  const sampleInputs = gather(trainSample);
  const sampleLabels = Int32Array.from(trainSample, (i) => set.labels[i]!);
  const batchesPerEpoch = Math.ceil(data.train.length / o.batchSize);
  emit({ type: 'start', arch: o.arch, backend, epochs: o.epochs, batchesPerEpoch, trainCount: data.train.length, validationCount: data.validation.length });
  emit({ type: 'log', message: `backend: ${backend}` });

  const evaluate = (inputs: Float32Array, labels: Int32Array, count: number) => {
    const out = predict(net, inputs, count);
    if (isAe) {
      // Same units as the training loss: squared error summed over a glyph's pixels, mean over glyphs.
      let se = 0;
      for (let i = 0; i < count * size; i++) se += (out[i]! - inputs[i]!) ** 2;
      return { loss: se / count, psnr: mean(psnrPerImage(inputs, out, count, size)), out };
    }
    const k = set.classes.length;
    let nll = 0;
    for (let n = 0; n < count; n++) nll -= Math.log(Math.max(out[n * k + labels[n]!]!, 1e-12));
    const predicted = argmaxRows(out, count, k);
    const report = classificationReport(predicted, labels, set.classes);
    return { loss: nll / count, accuracy: report.accuracy, balanced: report.balancedAccuracy, report, out };
  };

  let cancelled = false;
  let bestReport: ClassificationReport | undefined;
  let bestPsnr: number | undefined;
  let lastDecay = 0;
  const firstEpoch = history.length ? history[history.length - 1]!.epoch + 1 : 1;
  for (let epoch = firstEpoch; epoch <= o.epochs; epoch++) {
    const t0 = Date.now();
    const order = epochIndices(set.labels, data.train, set.classes.length, o.balance && !isAe, rng);
    let lossSum = 0;
    let seen = 0;
    for (const chunk of epochChunks(set.pixels, set.labels, size, set.width, order, CHUNK, rng, o.augment ? DEFAULT_AUGMENT : undefined)) {
      if (hooks.signal?.aborted) break;
      const r = trainEpoch(net, optimizer, chunk.inputs, isAe ? chunk.inputs : chunk.labels, chunk.count, { batchSize: o.batchSize, rng, loss: isAe ? 'squared-error' : 'softmax-cross-entropy' });
      lossSum += r.meanLoss * chunk.count;
      seen += chunk.count;
      emit({ type: 'batch', epoch, batch: Math.ceil(chunk.done / o.batchSize), batches: Math.ceil(order.length / o.batchSize), loss: r.meanLoss });
      await new Promise((resolve) => setImmediate(resolve)); // let cancel and IPC through
    }
    if (hooks.signal?.aborted) {
      cancelled = true;
      emit({ type: 'log', message: `cancelled in epoch ${epoch}; the model of epoch ${bestEpoch} stays` });
      break;
    }
    const val = evaluate(valInputs, valLabels, data.validation.length);
    const trainEval = isAe ? undefined : evaluate(sampleInputs, sampleLabels, trainSample.length);
    const record: EpochRecord = {
      epoch,
      trainLoss: lossSum / Math.max(1, seen),
      trainAccuracy: trainEval?.accuracy,
      validationLoss: val.loss,
      validationAccuracy: 'accuracy' in val ? val.accuracy : undefined,
      validationPsnr: 'psnr' in val ? val.psnr : undefined,
      seconds: (Date.now() - t0) / 1000,
    };
    history.push(record);
    // Model selection: balanced accuracy (a balanced test set weighs every class equally) or PSNR.
    const score = 'balanced' in val ? val.balanced! : val.psnr!;
    if (score > bestScore) {
      bestScore = score;
      bestEpoch = epoch;
      if ('report' in val) bestReport = val.report;
      if ('psnr' in val) bestPsnr = val.psnr;
      writeOnnx(modelPath, toSpec(net, o, set.classes, set));
    }
    // Halve the learning rate when validation stalls: large steps find the basin, small ones settle in it.
    if (epoch - Math.max(bestEpoch, lastDecay) >= PLATEAU_EPOCHS) {
      optimizer.learningRate *= 0.5;
      lastDecay = epoch;
      emit({ type: 'log', message: `validation stalled for ${PLATEAU_EPOCHS} epochs: learning rate now ${optimizer.learningRate.toPrecision(3)}` });
    }
    writeFileAtomic(checkpointPath, JSON.stringify({ history, learningRate: optimizer.learningRate, bestEpoch, bestScore, options: o } satisfies Checkpoint, null, 1));
    const remaining = o.epochs - epoch;
    const perEpoch = history.slice(-3).reduce((a, h) => a + h.seconds, 0) / Math.min(3, history.length);
    emit({ type: 'epoch', record, etaSeconds: remaining * perEpoch });
    emit({ type: 'log', message: epochLine(record, o.epochs) });
    if (o.patience > 0 && epoch - bestEpoch >= o.patience) {
      emit({ type: 'log', message: `early stop: no validation improvement for ${o.patience} epochs (best epoch ${bestEpoch})` });
      break;
    }
  }
  const seconds = (Date.now() - started) / 1000;
  const artefacts: Record<string, string> = {};
  if (bestEpoch > 0) {
    // Pictures and reports describe the best model, which is what was saved.
    const best = Network.fromSpec(importOnnx(readFileSync(modelPath)));
    net = best;
    if (!bestReport && !isAe) bestReport = evaluate(valInputs, valLabels, data.validation.length).report;
    if (bestPsnr === undefined && isAe) bestPsnr = evaluate(valInputs, valLabels, data.validation.length).psnr;
    Object.assign(artefacts, await writeArtefacts(o, net, history, weightsBefore, bestReport, isAe ? { inputs: valInputs, labels: valLabels, count: data.validation.length, size, side: set.width } : undefined));
    const card = modelCard({
      title: isAe ? 'Autoencoder 1024-32-32-32-1024 (from-scratch engine)' : `Course MLP ${size}-${MLP_HIDDEN}-${set.classes.length} (from-scratch engine)`,
      architecture: isAe ? '1024-32-32-32-1024, ReLU hidden layers, sigmoid output, squared error' : `${size}-${MLP_HIDDEN}-${set.classes.length}, sigmoid hidden layer, softmax output, cross-entropy, Xavier initialisation`,
      options: o,
      command: o.command ?? `hwr train --arch ${o.arch}`,
      dataDescription: data.description,
      trainCount: data.train.length,
      validationCount: data.validation.length,
      backend,
      history,
      bestEpoch,
      seconds,
      report: bestReport,
      psnr: bestPsnr,
    });
    artefacts.card = join(o.outDir, 'card.md');
    writeFileAtomic(artefacts.card, card);
    if (o.save && !cancelled) {
      mkdirSync(dirname(o.save), { recursive: true });
      const tmp = `${o.save}.${process.pid}.tmp`;
      copyFileSync(modelPath, tmp);
      writeFileAtomic(o.save.replace(/\.onnx$/, '') + '.md', card);
      renameSync(tmp, o.save);
    }
  }
  const result: TrainResult = {
    arch: o.arch,
    modelPath,
    outDir: o.outDir,
    backend,
    history,
    bestEpoch,
    validationAccuracy: bestReport?.accuracy,
    validationPsnr: bestPsnr,
    cancelled,
    seconds,
    artefacts,
  };
  emit({ type: 'done', result });
  return result;
}

function toSpec(net: Network, o: TrainOptions, classes: readonly string[], set: { height: number; width: number; channels: number }): NetworkSpec {
  const isAe = o.arch === 'ae';
  return net.toSpec({
    name: o.arch,
    inputShape: [set.height * set.width * set.channels],
    classes: isAe ? undefined : [...classes],
    metadata: { trainer: 'hwr from-scratch engine', command: o.command ?? `hwr train --arch ${o.arch}`, image_shape: JSON.stringify([set.height, set.width, set.channels]) },
  });
}

export function epochLine(r: EpochRecord, epochs: number): string {
  const parts = [`epoch ${r.epoch}/${epochs}`, `train loss ${r.trainLoss.toFixed(4)}`];
  if (r.trainAccuracy !== undefined) parts.push(`train acc ${(r.trainAccuracy * 100).toFixed(2)}%`);
  parts.push(`val loss ${r.validationLoss.toFixed(4)}`);
  if (r.validationAccuracy !== undefined) parts.push(`val acc ${(r.validationAccuracy * 100).toFixed(2)}%`);
  if (r.validationPsnr !== undefined) parts.push(`val psnr ${r.validationPsnr.toFixed(2)} dB`);
  parts.push(`${r.seconds.toFixed(1)}s`);
  return parts.join('  ');
}

async function writeArtefacts(
  o: TrainOptions,
  net: Network,
  history: EpochRecord[],
  weightsBefore: DenseSpec | undefined,
  report: ClassificationReport | undefined,
  ae: { inputs: Float32Array; labels: Int32Array; count: number; size: number; side: number } | undefined,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const at = (name: string) => (out[name.replace(/\..*$/, '')] = join(o.outDir, name));
  writeFileAtomic(at('curves.json'), JSON.stringify(history, null, 1));
  await writeSvgPng(at('curves-loss.png'), lineChartSvg({ title: `${o.arch}: loss per epoch`, xLabel: 'epoch', yLabel: ae ? 'mean squared error' : 'cross-entropy', series: [{ name: 'train', values: history.map((h) => h.trainLoss) }, { name: 'validation', values: history.map((h) => h.validationLoss) }] }));
  if (ae) {
    await writeSvgPng(at('curves-psnr.png'), lineChartSvg({ title: 'autoencoder: validation PSNR', xLabel: 'epoch', yLabel: 'PSNR (dB)', series: [{ name: 'validation', values: history.map((h) => h.validationPsnr ?? NaN) }] }));
  } else {
    await writeSvgPng(at('curves-accuracy.png'), lineChartSvg({ title: `${o.arch}: accuracy per epoch`, xLabel: 'epoch', yLabel: 'accuracy', series: [{ name: 'train', values: history.map((h) => h.trainAccuracy ?? NaN) }, { name: 'validation', values: history.map((h) => h.validationAccuracy ?? NaN) }] }));
  }
  const side = Math.round(Math.sqrt(weightsBefore?.inputs ?? 0));
  const after = firstDense(net);
  if (weightsBefore && after && side * side === weightsBefore.inputs) {
    for (const [name, layer] of [['weights-before.png', weightsBefore], ['weights-after.png', after]] as const) {
      await writeGrayPng(at(name), tileGrid(weightTiles(layer.weights, layer.inputs, layer.outputs), layer.outputs, side, side, { zoom: 3 }));
    }
  }
  if (report) {
    writeFileAtomic(at('confusion.json'), JSON.stringify({ classes: report.perClass.map((p) => p.label), matrix: report.confusion, confused: report.confused, perClass: report.perClass, accuracy: report.accuracy, balancedAccuracy: report.balancedAccuracy }, null, 1));
    await writeSvgPng(at('confusion.png'), confusionSvg(report.confusion, report.perClass.map((p) => p.label)));
  }
  if (ae) {
    // Two validation glyphs of each class: originals on the odd rows, reconstructions below them.
    const picks: number[] = [];
    const seen = new Map<number, number>();
    for (let i = 0; i < ae.count && picks.length < 72; i++) {
      const c = ae.labels[i]!;
      if ((seen.get(c) ?? 0) < 2) (seen.set(c, (seen.get(c) ?? 0) + 1), picks.push(i));
    }
    const originals = new Float32Array(picks.length * ae.size);
    picks.forEach((i, k) => originals.set(ae.inputs.subarray(i * ae.size, (i + 1) * ae.size), k * ae.size));
    const recon = predict(net, originals, picks.length);
    const columns = 12;
    const tileCount = Math.ceil(picks.length / columns) * 2 * columns;
    const tiles = new Float32Array(tileCount * ae.size);
    for (let k = 0; k < picks.length; k++) {
      const row = Math.floor(k / columns);
      const col = k % columns;
      tiles.set(originals.subarray(k * ae.size, (k + 1) * ae.size), (row * 2 * columns + col) * ae.size);
      tiles.set(recon.subarray(k * ae.size, (k + 1) * ae.size), ((row * 2 + 1) * columns + col) * ae.size);
    }
    await writeGrayPng(at('reconstructions.png'), tileGrid(tiles, tileCount, ae.side, ae.side, { columns, zoom: 3, range: [0, 1] }));
  }
  return out;
}
