/**
 * The line recogniser as a training backend for fit.ts (`hwr train --arch crnn --data PAGES`):
 * real lines cut from pages with ALTO/PAGE XML (or line images with .txt), validated on writers
 * it never trains on, with synthetic lines from EMNIST glyphs mixed into every epoch where the
 * shared data has them. Gradients come from TF.js; the Adam update runs on flat arrays
 * (optimizer.ts), so weights and moments are what a checkpoint holds.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { sharedDataDir } from '../../base/paths.ts';
import { createRng } from '../../base/random.ts';
import { toUnitFloats } from '../../data/idx.ts';
import { augmentLine } from '../../data/line-augment.ts';
import { defaultLineData, loadLineDataset, splitByWriter, type LineSample } from '../../data/lines.ts';
import { canRender, capitalsStyle, inCapitals, loadGlyphBank, randomStyle, randomText, renderLine, type GlyphBank } from '../../data/synthetic-lines.ts';
import { writeOnnx } from '../../onnx/export.ts';
import { cer, lineCounts, type CerCount } from '../../recognize/cer.ts';
import { Charset } from '../../recognize/charset.ts';
import { greedyDecode } from '../../recognize/ctc-decode.ts';
import { decodingMetadata, tuneDecoding } from '../../recognize/tune-decoding.ts';
import type { TrainBackend } from '../backend.ts';
import { displayPath } from '../data.ts';
import { namingModel } from '../init-from.ts';
import { mixSeed } from '../sampling.ts';
import type { TrainOptions } from '../types.ts';
import { selectBackend } from './backend.ts';
import { lineCard } from './line-card.ts';
import { defaultReplicas } from './engine.ts';
import { createLineEngine, type LineItem } from './line-engine.ts';
import { defaultLineArchitecture, initialLineWeights, lineParamLayout, lineToNetworkSpec, type LineArchitecture } from './line-model.ts';
import { extendChars, growLineModel, readLineModel, seqLayers } from './line-start.ts';
import { applyUpdate, createOptimizerState, flatState, restoreFlatState, type OptimizerSettings } from './optimizer.ts';

export interface LineSettings {
  /** Start the TF.js backend chain here (tests); default $HWR_TF_BACKEND or the whole chain. */
  backend?: string;
  /** Synthetic lines per epoch as a share of the real training lines (0 = none); over opts.synthetic (--synthetic), default 0.25. */
  synthetic?: number;
  /** Where the synthetic lines' glyphs come from; default the shared data's EMNIST, when present. */
  glyphs?: GlyphBank | null;
  /** The network; default defaultLineArchitecture. */
  architecture?: (classes: number) => LineArchitecture;
  /** Share of the writers held out for validation. */
  validationShare?: number;
  /** Data-parallel replicas, each on its own thread (0 = this thread). Default: one per core (up to 4) on the single-threaded backends, else 0. */
  replicas?: number;
}

/** Share of the synthetic lines written in block capitals, touching and overlapping (the real pages have few), unless --capitals says. */
const CAPITALS_SHARE = 0.33;
/** Lines drawn and sorted by width together, so a batch pads little. */
const SORT_WINDOW = 8;
/**
 * The share of real training lines read, each epoch, as `hwr ocr` cuts them (LineSample.found)
 * rather than along their given outline: cut along the outlines hwr finds, the shipped model read
 * the validation writers' lines at 20–29% CER against 19% along their ALTO outlines.
 */
const FOUND_SHARE = 0.5;

export async function lineBackend(opts: TrainOptions, log: (message: string) => void, settings: LineSettings = {}): Promise<TrainBackend> {
  // Read first, so a file that is no line model is named before any page is read.
  const start = opts.initFrom ? namingModel(opts.initFrom, () => readLineModel(opts.initFrom!)) : undefined;
  const tfBackend = await selectBackend({ start: settings.backend });
  const dataDir = opts.data ?? defaultLineData();
  const data = await loadLineDataset(dataDir, {
    onProgress: (done, total) => done % 50 === 0 && log(`reading pages: ${done}/${total}`),
    cache: join(opts.outDir, 'lines.cache'),
  });
  if (data.lines.length === 0) throw new Error(`${dataDir}: no transcribed lines to train on`);
  log(data.description);
  const split = splitByWriter(data.lines, settings.validationShare ?? 0.1);
  if (split.train.length === 0 || split.validation.length === 0) {
    throw new Error(`${dataDir}: the lines come from too few writers to hold some out for validation (${new Set(data.lines.map((l) => l.writer)).size})`);
  }
  let trainIds = split.train;
  if (opts.limit > 0 && opts.limit < trainIds.length)
    trainIds = createRng(opts.seed)
      .shuffle([...trainIds])
      .slice(0, opts.limit)
      .sort((a, b) => a - b);
  const train = trainIds.map((i) => data.lines[i]!);
  const validation = split.validation.map((i) => data.lines[i]!);
  const dataCharset = Charset.fromTexts(data.lines.map((l) => l.text));
  // Fine-tuning keeps the model's characters where they were; the data's others come after.
  const charset = start ? new Charset(extendChars(start.chars, dataCharset.chars)) : dataCharset;
  const arch: LineArchitecture = settings.architecture
    ? settings.architecture(charset.size)
    : start
      ? {
          ...start.arch,
          seq: opts.width === undefined && opts.depth === undefined ? start.arch.seq : grownSeq(start.arch, opts.width, opts.depth),
          classes: charset.size,
        }
      : { ...defaultLineArchitecture(charset.size), seq: seqLayers(opts.width, opts.depth) };
  if (train.some((l) => l.height !== arch.height)) throw new Error(`line images are ${train[0]!.height} rows high, the network reads ${arch.height}`);

  const bank = settings.glyphs !== undefined ? settings.glyphs : defaultGlyphs(log);
  const syntheticShare = bank ? (settings.synthetic ?? opts.synthetic ?? 0.25) : 0;
  const syntheticCount = Math.round(syntheticShare * train.length);
  const capitalsShare = opts.capitals ?? CAPITALS_SHARE;
  const percentCapitals = Math.round(capitalsShare * 100);
  const texts = train.map((l) => l.text).filter((t) => bank && canRender(t, bank));
  const words = [...new Set(texts.flatMap((t) => t.split(' ')).filter((w) => w.length > 1))];

  const layout = lineParamLayout(arch);
  const weights = start ? namingModel(opts.initFrom!, () => growLineModel(start, arch, charset.chars, opts.seed)) : initialLineWeights(layout, opts.seed);
  if (start) {
    const added = charset.chars.length - start.chars.length;
    const grown = JSON.stringify(arch.seq) !== JSON.stringify(start.arch.seq);
    log(
      `fine-tuning ${displayPath(opts.initFrom!)}` +
        (grown ? `, grown to ${arch.seq.length} 1-D convolutions of ${arch.seq[0]!.filters} filters` : '') +
        (added ? `, ${added} new character${added === 1 ? '' : 's'}` : ''),
    );
  }
  const replicas = settings.replicas ?? defaultReplicas(tfBackend);
  const engine = await createLineEngine({ tf, backend: tfBackend.name, arch, layout, weights, replicas });
  const flatLayout = layout.map((p) => ({ ...p, output: p.name.startsWith('output') }));
  const trainable = layout.map(() => true);
  const optimizerSettings: OptimizerSettings = { kind: 'adam', momentum: opts.momentum > 0 && opts.momentum < 1 ? opts.momentum : 0.9, weightDecay: 1e-4 };
  const optimizer = createOptimizerState('adam', weights.length);
  const grads = new Float32Array(weights.length);

  const label = `${tfBackend.label}, ${engine.threads > 1 ? `${engine.threads} replicas (one thread each)` : 'one thread'}`;
  const parameters = weights.length;
  log(
    `crnn: ${arch.convs.length} convolution blocks, ${arch.seq.length} 1-D convolutions along the line, ` +
      `${charset.size} classes (${parameters.toLocaleString('en-US')} parameters)`,
  );
  log(
    `training lines: ${train.length} real${syntheticCount ? ` + ${syntheticCount} synthetic each epoch (${percentCapitals}% in block capitals)` : ''}; ` +
      `validation: ${validation.length} lines by other writers`,
  );

  /** Position p of an epoch's order: a real line, or (past the real ones) a synthetic line made for this epoch. */
  const lineAt = (p: number, epoch: number): { ink: Float32Array; width: number; text: string } => {
    if (p < train.length) {
      const l = train[p]!;
      // Half the time, the line as `hwr ocr` cuts it: along the outline its own line finding gives.
      const cut = l.found && createRng(mixSeed(opts.seed, epoch, p, 13)).next() < FOUND_SHARE ? l.found : l;
      return { ink: toUnitFloats(cut.ink), width: cut.width, text: l.text };
    }
    const rng = createRng(mixSeed(opts.seed, epoch, p, 7));
    const capitals = rng.next() < capitalsShare;
    const drawn = texts.length && rng.next() < 0.5 ? texts[Math.floor(rng.next() * texts.length)]! : randomText(rng, words.length ? words : ['ligne']);
    // Characters the glyphs cannot draw (digits, say, in a bank of letters) are left out of the text.
    const text =
      [...(capitals ? inCapitals(drawn) : drawn)]
        .filter((c) => canRender(c, bank!))
        .join('')
        .replace(/ +/g, ' ')
        .trim() || 'a';
    const img = renderLine(text, bank!, rng, capitals ? capitalsStyle(rng) : randomStyle(rng), arch.height);
    return { ink: img.data, width: img.width, text };
  };

  const readAll = async (lines: readonly LineSample[], keep = false) => {
    const order = lines.map((_, i) => i).sort((a, b) => lines[a]!.width - lines[b]!.width);
    const read = new Array<string>(lines.length);
    const kept: { probs: Float32Array; frames: number }[] = [];
    let lossSum = 0;
    // Twice the training batch: the replicas each read a share, and no gradients are kept.
    const size = opts.batchSize * Math.max(2, engine.threads);
    for (let s = 0; s < order.length; s += size) {
      const ids = order.slice(s, s + size);
      const reading = await engine.read(
        ids.map((i) => ({ ink: toUnitFloats(lines[i]!.ink), width: lines[i]!.width, labels: charset.encode(lines[i]!.text).labels })),
      );
      lossSum += reading.lossSum;
      ids.forEach((i, n) => {
        const probs = reading.probs[n]!;
        const frames = reading.frames[n]!;
        read[i] = greedyDecode(probs, frames, charset).text;
        if (keep) kept[i] = { probs, frames };
      });
    }
    return { read, loss: lossSum / lines.length, kept };
  };

  /** Greedy CER and WER on the validation writers, overall and per writer; `keep` also returns the probabilities. */
  const evaluateLines = async (keep = false) => {
    const { read, loss, kept } = await readAll(validation, keep);
    const counts = validation.map((l, i) => lineCounts(read[i]!, l.text));
    const writers = new Map<string, { chars: CerCount; lines: number }>();
    for (const w of new Set(validation.map((l) => l.writer))) {
      const own = counts.filter((_, i) => validation[i]!.writer === w).map((c) => c.chars);
      writers.set(w, { chars: { distance: own.reduce((a, c) => a + c.distance, 0), length: own.reduce((a, c) => a + c.length, 0) }, lines: own.length });
    }
    return { loss, cer: cer(counts.map((c) => c.chars)), wer: cer(counts.map((c) => c.words)), writers, read, kept };
  };

  const writeModel = (path: string, w: Float32Array) =>
    writeOnnx(path, lineToNetworkSpec(arch, layout, w, charset.chars, { trainer: 'hwr crnn (TF.js)', data: displayPath(dataDir) }));

  return {
    label,
    schedule: 'cosine',
    trainLabels: new Int32Array(train.length + syntheticCount),
    classCount: 1,
    balanced: false,
    validationCount: validation.length,
    batchSize: opts.batchSize,
    run: {
      architecture: arch,
      charset: charset.chars.join(''),
      trainCount: train.length,
      syntheticCount,
      validationCount: validation.length,
      dataset: displayPath(dataDir),
    },
    cardName: 'model.md',

    async trainEpoch(plan) {
      const { order, epoch } = plan;
      const batches = Math.ceil(order.length / opts.batchSize);
      /** The epoch's batches in order: lines drawn a window at a time and sorted by width, then augmented. */
      function* batchesOfEpoch(): Generator<LineItem[]> {
        const window = opts.batchSize * SORT_WINDOW;
        for (let start = 0; start < order.length; start += window) {
          const items = Array.from(order.subarray(start, Math.min(order.length, start + window)), (p) => ({ p, ...lineAt(p, epoch) }));
          items.sort((x, y) => x.width - y.width || x.p - y.p);
          for (let s = 0; s < items.length; s += opts.batchSize) {
            yield items.slice(s, s + opts.batchSize).map((it) => ({
              ink: opts.augment ? augmentLine(it.ink, it.width, arch.height, createRng(mixSeed(plan.seed, epoch, it.p, 11))) : it.ink,
              width: it.width,
              labels: charset.encode(it.text).labels,
            }));
          }
        }
      }
      const source = batchesOfEpoch();
      let next = source.next();
      let lossSum = 0;
      for (let b = 0; !next.done; b++) {
        if (plan.signal?.aborted) return null;
        const group = next.value;
        const pending = engine.gradients(group, mixSeed(plan.seed, epoch, b), grads);
        next = source.next(); // the next batch is made while the replicas compute this one
        const loss = await pending;
        if (!Number.isFinite(loss)) throw new Error(`epoch ${epoch}, batch ${b + 1}: the loss is ${loss}; lower the learning rate (now ${plan.learningRate})`);
        applyUpdate(weights, grads, optimizer, optimizerSettings, plan.learningRate, flatLayout, trainable);
        engine.setWeights(weights);
        lossSum += loss * group.length;
        plan.onBatch(b + 1, batches, loss);
        await new Promise((resolve) => setImmediate(resolve)); // let a cancel through
      }
      return lossSum / order.length;
    },

    async evaluate() {
      const e = await evaluateLines();
      return { score: 1 - e.cer, validationLoss: e.loss, record: { cer: e.cer, wer: e.wer } };
    },

    state: () => flatState(weights, optimizer),

    restore(s) {
      restoreFlatState(s, weights, optimizer);
      engine.setWeights(weights);
    },

    writeModel,

    async finish(s) {
      const e = await evaluateLines(true);
      s.log('choosing the language model weight, the character bonus and the word bonus on the validation writers');
      const tuned = tuneDecoding(
        e.kept,
        validation.map((l) => l.text),
        train.map((l) => l.text),
        charset,
      );
      writeOnnx(
        s.modelPath,
        lineToNetworkSpec(arch, layout, s.bestWeights, charset.chars, {
          trainer: 'hwr crnn (TF.js)',
          data: displayPath(dataDir),
          ...decodingMetadata(tuned),
        }),
      );
      const examples = validation.slice(0, 8).map((l, i) => ({ truth: l.text, read: e.read[i]! }));
      const card = lineCard({
        opts,
        arch,
        parameters,
        charset,
        data: data.description,
        dataDir,
        train: train.length,
        found: train.filter((l) => l.found).length,
        synthetic: syntheticCount,
        capitals: capitalsShare,
        validation: validation.length,
        backend: label,
        history: s.history,
        run: s.run,
        cer: e.cer,
        wer: e.wer,
        writers: e.writers,
        examples,
        decoding: tuned,
      });
      return { artefacts: {}, card };
    },

    close: () => engine.close(),
  };
}

/**
 * A trained model's 1-D convolutions made as wide (--width) and as deep (--depth) as asked; what
 * is not asked stays the model's. New layers take the last layer's kernel.
 */
function grownSeq(from: LineArchitecture, width?: number, depth?: number): LineArchitecture['seq'] {
  const filters = width === undefined ? from.seq[0]!.filters : seqLayers(width, 1)[0]!.filters;
  const count = depth ?? from.seq.length;
  return Array.from({ length: count }, (_, i) => ({ filters, kernel: (from.seq[i] ?? from.seq[from.seq.length - 1]!).kernel }));
}

function defaultGlyphs(log: (message: string) => void): GlyphBank | null {
  const shared = sharedDataDir();
  if (!shared) return null;
  try {
    return loadGlyphBank(shared);
  } catch (err) {
    log(`no synthetic lines: ${(err as Error).message}`);
    return null;
  }
}
