/**
 * The contract (app/contract.ts) implemented once over the core. Electron's IPC handlers and
 * `hwr serve` both wrap an instance of this; neither adds behaviour of its own. Requests reaching
 * these methods have been validated (app/services/validate.ts).
 */
import { WorkQueue } from './work-queue.ts';
import { makeDirectory } from '../base/atomic.ts';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, delimiter, join } from 'node:path';
import {
  CLASSES_36,
  CLASSES_62,
  ContractError,
  GLYPH_VALUES,
  isOpenableImage,
  LIMITS,
  type AppInfo,
  type EventListener,
  type HwrApi,
  type HwrEvent,
  type Prediction,
  type RequestOf,
  type ResponseOf,
  type RunDetails,
} from '../contract.ts';
import { frameGlyph } from '../image/frame.ts';
import { pdfPageImages } from '../recognize/pdf.ts';
import { modelsDir as shippedModelsDir, projectRoot, sharedDataDir } from '../base/paths.ts';
import { defaultLineModelPath } from '../base/model-files.ts';
import { topCandidates } from '../recognize/words.ts';
import { onnxClassifier } from '../recognize/recognizer.ts';
import { psnrPerImage } from '../train/metrics.ts';
import { importOnnx } from '../onnx/import.ts';
import { tileGrid, weightTiles } from '../train/plots.ts';
import { Datasets } from './datasets.ts';
import { defaultHome, homeLayout, lockHome, type HomeLayout } from './home.ts';
import { ModelRegistry } from './models.ts';
import { PageStore } from './pages.ts';
import { PageHistory } from './page-history.ts';
import { batchStatus, openQueue } from '../queue/bull.ts';
import { DEFAULT_REDIS, redisProblem, showRedis } from '../queue/jobs.ts';
import { readRun, runModelPath } from './runs.ts';
import { SampleStore } from './samples.ts';
import { fineTunableArch, MIN_SAMPLES } from '../train/personalize.ts';
import { RecognizerClient } from './recognizer-client.ts';
import type { LaunchWorker } from './worker-protocol.ts';
import { TrainingManager } from './training.ts';

export interface ServicesOptions {
  /** HWR_HOME: samples, runs, settings. Default: defaultHome(). */
  home?: string;
  /** Shipped models. Default: the project's models/. */
  modelsDir?: string;
  /** ../shared/data, or null when absent. Default: sharedDataDir(). */
  sharedData?: string | null;
  /**
   * How the worker processes (training, page reading) are started: Node children
   * (app/services/node-worker.ts) or Electron utilityProcesses (main/workers.ts).
   */
  launchWorker: LaunchWorker;
  transport: AppInfo['transport'];
  cancelGraceMs?: number;
  /** Who holds the data folder, for the message a second program gets (default from the transport). */
  program?: string;
  /** The queue's Redis for batch progress (default: $HWR_REDIS, else the local one). */
  redis?: string;
  /** Folders training may read datasets from besides the data folder and the shared data (also $HWR_DATASETS, ':'-separated). */
  datasetRoots?: readonly string[];
}

/** The contract's API plus shutdown and file opening, for the process that hosts it. */
export type Services = HwrApi & {
  close(): Promise<void>;
  readonly home: HomeLayout;
  /** Queues images to open (the desktop app's file associations); the UI takes them with takeOpenedFiles. */
  openFiles(paths: readonly string[]): void;
};

export function createServices(options: ServicesOptions): Services {
  const home = homeLayout(options.home ?? defaultHome());
  for (const dir of [home.root, home.samples, home.runs, home.pages]) makeDirectory(dir);
  // One program at a time on a data folder: before anything is read or repaired.
  const unlock = lockHome(home.root, options.program ?? (options.transport === 'ipc' ? 'the hwr desktop app' : 'hwr serve'));
  const sharedData = options.sharedData === undefined ? sharedDataDir() : options.sharedData;
  const listeners = new Set<EventListener>();
  const emit = (event: HwrEvent) => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // A broken listener (a closed socket) must not stop the others.
      }
    }
  };
  const log = (level: 'info' | 'warn' | 'error', message: string) => emit({ type: 'log', level, message, time: new Date().toISOString() });

  const models = new ModelRegistry(options.modelsDir ?? shippedModelsDir, home);
  const samples = new SampleStore(home.samples);
  // Settle what a crash between the two writes of a sample left behind.
  const repaired = samples.repair();
  const datasets = new Datasets(sharedData, home.samples, [
    ...(options.datasetRoots ?? []),
    ...(process.env.HWR_DATASETS ?? '').split(delimiter).filter(Boolean),
  ]);
  const recognizer = new RecognizerClient(options.launchWorker);
  const pages = new PageStore(recognizer.read, new PageHistory(home.pages));
  const training = new TrainingManager({
    runsDir: home.runs,
    launch: () => options.launchWorker('train'),
    resolveDataset: (dataset) => datasets.resolve(dataset),
    emit,
    isActive: (id) => Object.values(models.list().active).includes(id),
    unload: (id) => models.unload(id),
    cancelGraceMs: options.cancelGraceMs,
    onFinished: (record) => {
      // A retraining that proved better on held-back samples becomes the active model, if the model it started from still is.
      const report = record.personalization;
      if (record.kind !== 'personalize' || record.state !== 'done' || !report?.improved) return;
      if (models.list().active.classifier !== report.baseModel) {
        log('info', `the retrained model is better, but the active classifier changed meanwhile: activate run:${record.runId} yourself if you want it`);
        return;
      }
      models.activate(`run:${record.runId}`);
      log('info', `activated the model retrained on your handwriting (run:${record.runId}); ${report.baseModel} is one click away in Models`);
    },
  });
  if (repaired.recovered.length || repaired.removed.length) {
    // On stderr (a window or browser connects later and would miss an event now), and as an event
    // for listeners already there.
    const { recovered, removed } = repaired;
    const notice = `sample store repaired after an interruption: ${recovered.length} sample(s) recovered, ${removed.length} leftover file(s) removed`;
    console.warn(`hwr: ${notice}`);
    queueMicrotask(() => log('warn', notice));
  }
  const version = readVersion();
  /** The training queue's Redis, when one is named (retraining is sent there only on request, never by default). */
  const trainQueue = () => options.redis ?? process.env.HWR_REDIS;
  let opened: string[] = [];

  const activeClassifier = async () => {
    const { id, model } = await models.active('classifier');
    try {
      return { id, classifier: onnxClassifier(model) };
    } catch (err) {
      throw new ContractError('unavailable', `the active classifier ${id} cannot be used: ${(err as Error).message}`);
    }
  };

  // Pages are read two at a time, six more waiting at most (WorkQueue).
  const pageWork = new WorkQueue(2, 6, 'pages are being read');

  const api: Services = {
    home,

    async appInfo(): Promise<AppInfo> {
      const queue = trainQueue();
      return { version, dataDir: home.root, sharedData, transport: options.transport, trainQueue: queue ? showRedis(queue) : null };
    },

    async recognizePage(req) {
      return pageWork.run(async () => {
        const classifier = models.activeEntry('classifier');
        const progress = (stage: string, fraction: number) => {
          if (req.jobId) emit({ type: 'progress', jobId: req.jobId, stage, fraction });
        };
        const page = await pages.recognize(req.name, req.image, classifier, progress, {
          reader: req.reader,
          ...(req.sheet ? { sheet: req.sheet } : {}),
          lineModelPath: defaultLineModelPath(options.modelsDir ?? shippedModelsDir),
        });
        const glyphs = page.rows.reduce((n, r) => n + r.words.reduce((m, w) => m + w.glyphs.length, 0), 0);
        log('info', `read ${req.name}: ${page.rows.length} rows, ${glyphs} glyphs in ${page.seconds.toFixed(1)} s`);
        return page;
      });
    },

    async classifyGlyphs(req) {
      const { id, classifier } = await activeClassifier();
      const n = req.glyphs.length / GLYPH_VALUES;
      const probs = await classifier.classify(req.glyphs, n);
      const k = classifier.classes.length;
      const predictions: Prediction[][] = [];
      for (let i = 0; i < n; i++) {
        const row = asProbabilities(probs.slice(i * k, (i + 1) * k));
        predictions.push(topCandidates(row, classifier.classes, Math.min(k, req.topK ?? 5)).map((c) => ({ label: c.label, probability: c.p })));
      }
      return { model: id, predictions };
    },

    async classifyDrawing(req) {
      const ink = new Float32Array(req.ink.length);
      for (let i = 0; i < ink.length; i++) ink[i] = req.ink[i]! / 255;
      // The very framing of the training data and the OCR crops (app/image/frame.ts).
      const glyph = frameGlyph(ink, req.width, req.height);
      const { model, predictions } = await api.classifyGlyphs({ glyphs: glyph, topK: req.topK ?? 5 });
      return { model, glyph, predictions: predictions[0] ?? [] };
    },

    async reconstructGlyphs(req) {
      const { id, model } = await models.active('autoencoder');
      if (model.inputSize !== GLYPH_VALUES)
        throw new ContractError('unavailable', `the active autoencoder ${id} takes ${model.inputSize} values, not 32×32 glyphs`);
      const n = req.glyphs.length / GLYPH_VALUES;
      const out = await model.run(req.glyphs, n);
      if (out.length !== req.glyphs.length) throw new ContractError('unavailable', `${id} is not an autoencoder: it gives ${out.length / n} values per glyph`);
      const reconstructions = Float32Array.from(out);
      return { model: id, reconstructions, psnr: Array.from(psnrPerImage(req.glyphs, reconstructions, n, GLYPH_VALUES)) };
    },

    async datasetSamples(req) {
      return datasets.samples(req.perClass, req.seed);
    },

    async listModels() {
      return models.list();
    },

    async activateModel(req) {
      const list = models.activate(req.id);
      log('info', `activated ${req.id}`);
      emit({ type: 'train-status', status: training.current() });
      return list;
    },

    async listDatasets() {
      return datasets.list();
    },

    async startTraining(req) {
      return training.start(req);
    },

    async cancelTraining() {
      return training.cancel();
    },

    async resumeTraining(req) {
      return training.resume(req.runId);
    },

    async discardRun(req) {
      return training.discard(req.runId);
    },

    async trainingStatus() {
      return training.current();
    },

    async runDetails(req): Promise<RunDetails> {
      const record = readRun(home.runs, req.runId);
      if (!record) throw new ContractError('not-found', `no training run '${req.runId}'`);
      const details: RunDetails = { runId: req.runId };
      try {
        const confusion = JSON.parse(readFileSync(join(record.options.outDir, 'confusion.json'), 'utf8')) as NonNullable<RunDetails['confusion']>;
        details.confusion = { classes: confusion.classes, matrix: confusion.matrix, confused: confusion.confused };
      } catch {
        // Written when the run ends; absent before.
      }
      const weights = firstLayerTiles(record.result?.modelPath ?? runModelPath(home.runs, req.runId));
      if (weights) details.weights = weights;
      return details;
    },

    async saveSample(req): Promise<ResponseOf<'saveSample'>> {
      let page: { name: string; box: { x: number; y: number; width: number; height: number } } | undefined;
      if (req.pageId && req.glyphId) {
        const { page: dto, glyph } = pages.correct(req.pageId, req.glyphId, req.label);
        page = { name: dto.name, box: glyph.box };
      }
      const model = models.list().active.classifier ?? undefined;
      const saved = await samples.save(req.label, req.glyph, { source: req.source, predicted: req.predicted, model, page });
      log('info', `saved a sample of '${req.label}' (${saved.count} in that class)`);
      return saved;
    },

    async listSamples(req) {
      const page = samples.list({ label: req.label, offset: req.offset, limit: req.limit ?? 100 });
      const { glyphs, damaged } = await samples.glyphs(page.samples);
      return { ...page, samples: page.samples.map((s) => (damaged.has(s.id) ? { ...s, damaged: true } : s)), glyphs };
    },

    async relabelSample(req) {
      const info = samples.relabel(req.id, req.label);
      log('info', `relabelled sample ${req.id} as '${req.label}'`);
      return info;
    },

    async deleteSample(req) {
      samples.delete(req.id);
      return { total: samples.list().total };
    },

    async startPersonalization(req) {
      const active = models.activeEntry('classifier');
      const arch = fineTunableArch(active.arch);
      if (!arch)
        throw new ContractError(
          'unavailable',
          `the active classifier ${active.id} is a '${active.arch ?? 'unknown'}' model, which cannot be fine-tuned: activate an MLP or a CNN`,
        );
      const classes = active.classes ?? [];
      const mixed = classes.join() === CLASSES_62.join();
      if (!mixed && classes.join() !== CLASSES_36.join())
        throw new ContractError(
          'unavailable',
          `the active classifier ${active.id} has neither the 36 classes A–Z 0–9 nor the 62 classes A–Z a–z 0–9 that retraining works on`,
        );
      const usable = Object.entries(samples.list().counts).reduce((n, [label, count]) => n + (classes.includes(label) ? count : 0), 0);
      if (usable < MIN_SAMPLES)
        throw new ContractError(
          'unavailable',
          `retraining needs at least ${MIN_SAMPLES} samples of your handwriting in the model's classes${mixed ? '' : ' (A–Z 0–9)'}; ` +
            `there ${usable === 1 ? 'is' : 'are'} ${usable}. Draw and save some in the Draw view, or correct a scan`,
        );
      // The base data the model was trained on: the capitals-and-digits pool, and for 62 classes the lower-case pool.
      const pools = sharedData ? (mixed ? ['emnist36', 'emnist-lower'] : ['emnist36']).map((p) => join(sharedData, p)) : [];
      if (pools.length === 0 || !pools.every((p) => existsSync(p)))
        throw new ContractError(
          'unavailable',
          'retraining mixes your samples with the base data so that the model does not forget it, ' +
            (mixed
              ? 'and the EMNIST pools (../shared/data/emnist36 and emnist-lower, or $HWR_DATA) are not here'
              : 'and the EMNIST pool (../shared/data/emnist36, or $HWR_DATA) is not here'),
        );
      const pool = pools.join(',');
      const queue = req.onQueue ? trainQueue() : undefined;
      if (req.onQueue && !queue)
        throw new ContractError(
          'unavailable',
          'no training queue is set: start hwr with HWR_REDIS=redis://HOST:PORT, and a worker there with hwr worker --train',
        );
      return training.startPersonalization(req, {
        modelPath: active.path,
        modelId: active.id,
        arch,
        baseData: pool,
        samplesDir: home.samples,
        ...(queue ? { queue } : {}),
      });
    },

    async takeOpenedFiles() {
      const paths = opened;
      opened = [];
      const files: { name: string; image: Uint8Array }[] = [];
      for (const path of paths) {
        try {
          if (statSync(path).size > LIMITS.imageBytes) throw new Error(`larger than ${LIMITS.imageBytes / 1048576} MB`);
          files.push({ name: basename(path), image: readFileSync(path) });
        } catch (err) {
          log('warn', `cannot open ${path}: ${(err as Error).message}`);
        }
      }
      return { files };
    },

    openFiles(paths) {
      const images = paths.filter((p) => isOpenableImage(p));
      if (images.length === 0) return;
      opened = [...opened, ...images];
      emit({ type: 'files-opened', count: opened.length });
    },

    async correctGlyph(req) {
      return pages.correct(req.pageId, req.glyphId, req.label).page;
    },

    async editRow(req) {
      return pages.editRow(req.pageId, req.row, req.text);
    },

    async exportPage(req: RequestOf<'exportPage'>) {
      return pages.export(req.pageId, req.format);
    },

    async listPages() {
      return { pages: pages.list() };
    },

    async openPage(req) {
      return pages.open(req.pageId);
    },

    async renamePage(req) {
      return pages.rename(req.pageId, req.name);
    },

    async deletePage(req) {
      return { pages: pages.delete(req.pageId) };
    },

    async queueStatus(req) {
      const url = options.redis ?? process.env.HWR_REDIS ?? DEFAULT_REDIS;
      const queue = openQueue(url, { failFast: true });
      try {
        const status = await batchStatus(queue, req.batch);
        if (!status) throw new ContractError('not-found', `no batch '${req.batch}' on ${showRedis(url)}`);
        return status;
      } catch (err) {
        if (err instanceof ContractError) throw err;
        throw new ContractError('unavailable', redisProblem(err, url));
      } finally {
        await queue.close().catch(() => undefined);
      }
    },

    async splitPdf(req) {
      const stem = req.name.replace(/\.pdf$/i, '') || 'document';
      try {
        const images = await pdfPageImages(req.image, req.name);
        return { pages: images.map((image, i) => ({ name: `${stem} p${i + 1}.${image[0] === 0xff ? 'jpg' : 'png'}`, image: new Uint8Array(image) })) };
      } catch (err) {
        throw new ContractError('unprocessable', (err as Error).message);
      }
    },

    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async close() {
      training.close();
      recognizer.close();
      listeners.clear();
      await models.close();
      unlock();
    },
  };
  return api;
}

/** Model outputs as probabilities: softmax when they are not already (logits). */
function asProbabilities(row: Float32Array): Float32Array {
  let sum = 0;
  let min = Infinity;
  for (const v of row) {
    sum += v;
    min = Math.min(min, v);
  }
  if (min >= 0 && Math.abs(sum - 1) < 1e-3) return row;
  const max = Math.max(...row);
  let total = 0;
  for (let i = 0; i < row.length; i++) total += row[i] = Math.exp(row[i]! - max);
  for (let i = 0; i < row.length; i++) row[i]! /= total;
  return row;
}

/** The first dense layer's weights as one tile per unit, or the first convolution's kernels. */
function firstLayerTiles(modelPath: string): RunDetails['weights'] | undefined {
  let spec;
  try {
    spec = importOnnx(readFileSync(modelPath));
  } catch {
    return undefined;
  }
  for (const layer of spec.layers) {
    if (layer.kind === 'dense') {
      const side = Math.round(Math.sqrt(layer.inputs));
      if (side * side !== layer.inputs) return undefined;
      const units = Math.min(layer.outputs, 64);
      const grid = tileGrid(weightTiles(layer.weights, layer.inputs, layer.outputs).subarray(0, units * layer.inputs), units, side, side, { zoom: 1 });
      return { width: grid.width, height: grid.height, pixels: grid.data };
    }
    if (layer.kind === 'conv2d') {
      const [kh, kw] = layer.kernel;
      const units = Math.min(layer.outChannels, 64);
      // HWIO → one kh × kw tile per output channel (first input channel).
      const tiles = new Float32Array(units * kh * kw);
      for (let o = 0; o < units; o++)
        for (let y = 0; y < kh; y++)
          for (let x = 0; x < kw; x++) tiles[(o * kh + y) * kw + x] = layer.weights[(y * kw + x) * layer.inChannels * layer.outChannels + o]!;
      const grid = tileGrid(tiles, units, kw, kh, { zoom: 4 });
      return { width: grid.width, height: grid.height, pixels: grid.data };
    }
  }
  return undefined;
}

function readVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
