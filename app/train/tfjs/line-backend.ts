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
import { loadLineDataset, padLines, splitByWriter, type LineSample } from '../../data/lines.ts';
import { canRender, loadGlyphBank, randomStyle, randomText, renderLine, type GlyphBank } from '../../data/synthetic-lines.ts';
import { writeOnnx } from '../../onnx/export.ts';
import { cer, lineCounts, type CerCount } from '../../recognize/cer.ts';
import { Charset } from '../../recognize/charset.ts';
import { CharLm } from '../../recognize/char-lm.ts';
import { beamDecode } from '../../recognize/ctc-beam.ts';
import { greedyDecode } from '../../recognize/ctc-decode.ts';
import type { TrainBackend } from '../backend.ts';
import { displayPath } from '../data.ts';
import { mixSeed } from '../sampling.ts';
import type { TrainOptions } from '../types.ts';
import { selectBackend } from './backend.ts';
import { lineCard } from './line-card.ts';
import {
  ctcLossTf,
  defaultLineArchitecture,
  framesOf,
  initialLineWeights,
  lineLogits,
  lineParamLayout,
  lineToNetworkSpec,
  type LineArchitecture,
} from './line-model.ts';
import { applyUpdate, createOptimizerState, flatState, restoreFlatState, type OptimizerSettings } from './optimizer.ts';

export interface LineSettings {
  /** Start the TF.js backend chain here (tests); default $HWR_TF_BACKEND or the whole chain. */
  backend?: string;
  /** Synthetic lines per epoch as a share of the real training lines (0 = none). Default 0.25. */
  synthetic?: number;
  /** Where the synthetic lines' glyphs come from; default the shared data's EMNIST, when present. */
  glyphs?: GlyphBank | null;
  /** The network; default defaultLineArchitecture. */
  architecture?: (classes: number) => LineArchitecture;
  /** Share of the writers held out for validation. */
  validationShare?: number;
}

/** Lines drawn and sorted by width together, so a batch pads little. */
const SORT_WINDOW = 8;
/** The language model for beam search: a character n-gram of this order, weights tried on validation. */
const LM_ORDER = 5;
const LM_WEIGHTS = [0, 0.25, 0.5, 1];
const LM_BEAM = 8;

export async function lineBackend(opts: TrainOptions, log: (message: string) => void, settings: LineSettings = {}): Promise<TrainBackend> {
  if (opts.initFrom) throw new Error('--init-from: fine-tuning a line model is not supported yet; train it from the start, or --resume a run');
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
  const charset = Charset.fromTexts(data.lines.map((l) => l.text));
  const arch = (settings.architecture ?? defaultLineArchitecture)(charset.size);
  if (train.some((l) => l.height !== arch.height)) throw new Error(`line images are ${train[0]!.height} rows high, the network reads ${arch.height}`);

  const bank = settings.glyphs !== undefined ? settings.glyphs : defaultGlyphs(log);
  const syntheticShare = bank ? (settings.synthetic ?? 0.25) : 0;
  const syntheticCount = Math.round(syntheticShare * train.length);
  const texts = train.map((l) => l.text).filter((t) => bank && canRender(t, bank));
  const words = [...new Set(texts.flatMap((t) => t.split(' ')).filter((w) => w.length > 1))];

  const layout = lineParamLayout(arch);
  const weights = initialLineWeights(layout, opts.seed);
  const params = tf.tidy(() => layout.map((p) => tf.variable(tf.tensor(weights.subarray(p.offset, p.offset + p.size), p.shape))));
  const flatLayout = layout.map((p) => ({ ...p, output: p.name.startsWith('output') }));
  const trainable = layout.map(() => true);
  const optimizerSettings: OptimizerSettings = { kind: 'adam', momentum: opts.momentum > 0 && opts.momentum < 1 ? opts.momentum : 0.9, weightDecay: 1e-4 };
  const optimizer = createOptimizerState('adam', weights.length);
  const grads = new Float32Array(weights.length);
  // tidy: assign copies, so the temporary tensors go at once (2.5 MB a step otherwise).
  const load = (w: Float32Array) => tf.tidy(() => layout.forEach((p, i) => params[i]!.assign(tf.tensor(w.subarray(p.offset, p.offset + p.size), p.shape))));

  const label = `${tfBackend.label}, one thread`;
  const parameters = weights.length;
  log(
    `crnn: ${arch.convs.length} convolution blocks, ${arch.seq.length} 1-D convolutions along the line, ` +
      `${charset.size} classes (${parameters.toLocaleString('en-US')} parameters)`,
  );
  log(
    `training lines: ${train.length} real${syntheticCount ? ` + ${syntheticCount} synthetic each epoch` : ''}; ` +
      `validation: ${validation.length} lines by other writers`,
  );

  /** Position p of an epoch's order: a real line, or (past the real ones) a synthetic line made for this epoch. */
  const lineAt = (p: number, epoch: number): { ink: Float32Array; width: number; text: string } => {
    if (p < train.length) {
      const l = train[p]!;
      return { ink: toUnitFloats(l.ink), width: l.width, text: l.text };
    }
    const rng = createRng(mixSeed(opts.seed, epoch, p, 7));
    const drawn = texts.length && rng.next() < 0.5 ? texts[Math.floor(rng.next() * texts.length)]! : randomText(rng, words.length ? words : ['ligne']);
    // Characters the glyphs cannot draw (digits, say, in a bank of letters) are left out of the text.
    const text =
      [...drawn]
        .filter((c) => canRender(c, bank!))
        .join('')
        .replace(/ +/g, ' ')
        .trim() || 'a';
    const img = renderLine(text, bank!, rng, randomStyle(rng), arch.height);
    return { ink: img.data, width: img.width, text };
  };

  const batchTensor = (items: { ink: Float32Array; width: number }[]) => {
    const { pixels, width } = padLines(items, arch.height);
    return tf.tensor4d(pixels, [items.length, arch.height, width, 1]);
  };

  const readAll = async (lines: readonly LineSample[], keep = false) => {
    const order = lines.map((_, i) => i).sort((a, b) => lines[a]!.width - lines[b]!.width);
    const read = new Array<string>(lines.length);
    const kept: { probs: Float32Array; frames: number }[] = [];
    let lossSum = 0;
    for (let s = 0; s < order.length; s += opts.batchSize) {
      const ids = order.slice(s, s + opts.batchSize);
      const items = ids.map((i) => ({ ink: toUnitFloats(lines[i]!.ink), width: lines[i]!.width }));
      const input = batchTensor(items);
      const widths = items.map((i) => i.width);
      const logits = lineLogits(tf, arch, params, input, false, undefined, widths);
      const frames = widths.map((w) => framesOf(arch, w));
      const loss = ctcLossTf(
        tf,
        logits,
        ids.map((i) => charset.encode(lines[i]!.text).labels),
        frames,
      );
      lossSum += loss.dataSync()[0]! * ids.length;
      const probs = tf.softmax(logits);
      const data = probs.dataSync() as Float32Array;
      const T = logits.shape[1];
      ids.forEach((i, n) => {
        const own = data.subarray(n * T * charset.size, (n * T + frames[n]!) * charset.size);
        read[i] = greedyDecode(own, frames[n]!, charset).text;
        if (keep) kept[i] = { probs: own.slice(), frames: frames[n]! };
      });
      tf.dispose([input, logits, loss, probs]);
    }
    return { read, loss: lossSum / lines.length, kept };
  };

  /**
   * Beam search with a character n-gram of the training transcriptions, its weight chosen on the
   * validation writers (0 = the beam alone). Returns the language model and how each weight did.
   */
  const tuneLanguageModel = (kept: { probs: Float32Array; frames: number }[]) => {
    const lm = new CharLm(LM_ORDER).train(train.map((l) => l.text));
    const cerOf = (decode: (k: { probs: Float32Array; frames: number }) => string) => cer(validation.map((l, i) => lineCounts(decode(kept[i]!), l.text).chars));
    const tried = LM_WEIGHTS.map((weight) => ({
      weight,
      cer: cerOf((k) => beamDecode(k.probs, k.frames, charset, { beam: LM_BEAM, lm, lmWeight: weight }).text),
    }));
    const best = tried.reduce((a, b) => (b.cer < a.cer ? b : a));
    return { lm, tried, best };
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
      const window = opts.batchSize * SORT_WINDOW;
      const batches = Math.ceil(order.length / opts.batchSize);
      let lossSum = 0;
      let b = 0;
      for (let start = 0; start < order.length; start += window) {
        const items = Array.from(order.subarray(start, Math.min(order.length, start + window)), (p) => ({ p, ...lineAt(p, epoch) }));
        items.sort((x, y) => x.width - y.width || x.p - y.p);
        for (let s = 0; s < items.length; s += opts.batchSize, b++) {
          if (plan.signal?.aborted) return null;
          const group = items.slice(s, s + opts.batchSize);
          const shown = opts.augment
            ? group.map((it) => ({ ...it, ink: augmentLine(it.ink, it.width, arch.height, createRng(mixSeed(plan.seed, epoch, it.p, 11))) }))
            : group;
          const input = batchTensor(shown);
          const widths = shown.map((it) => it.width);
          const labels = shown.map((it) => charset.encode(it.text).labels);
          const frames = widths.map((w) => framesOf(arch, w));
          const { value, grads: g } = tf.variableGrads(
            () => ctcLossTf(tf, lineLogits(tf, arch, params, input, true, mixSeed(plan.seed, epoch, b), widths), labels, frames),
            params,
          );
          const loss = value.dataSync()[0]!;
          if (!Number.isFinite(loss))
            throw new Error(`epoch ${epoch}, batch ${b + 1}: the loss is ${loss}; lower the learning rate (now ${plan.learningRate})`);
          layout.forEach((p, i) => grads.set(g[params[i]!.name]!.dataSync() as Float32Array, p.offset));
          tf.dispose([input, value, ...Object.values(g)]);
          applyUpdate(weights, grads, optimizer, optimizerSettings, plan.learningRate, flatLayout, trainable);
          load(weights);
          lossSum += loss * group.length;
          plan.onBatch(b + 1, batches, loss);
          await new Promise((resolve) => setImmediate(resolve)); // let a cancel through
        }
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
      load(weights);
    },

    writeModel,

    async finish(s) {
      const e = await evaluateLines(true);
      s.log('choosing the language model weight on the validation writers');
      const tuned = tuneLanguageModel(e.kept);
      writeOnnx(
        s.modelPath,
        lineToNetworkSpec(arch, layout, s.bestWeights, charset.chars, {
          trainer: 'hwr crnn (TF.js)',
          data: displayPath(dataDir),
          lm: tuned.lm.serialize(2),
          lm_weight: String(tuned.best.weight),
          beam: String(LM_BEAM),
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
        synthetic: syntheticCount,
        validation: validation.length,
        backend: label,
        history: s.history,
        run: s.run,
        cer: e.cer,
        wer: e.wer,
        writers: e.writers,
        examples,
        decoding: { beam: LM_BEAM, order: LM_ORDER, tried: tuned.tried, best: tuned.best },
      });
      return { artefacts: {}, card };
    },

    close: async () => tf.dispose(params),
  };
}

function defaultLineData(): string {
  const shared = sharedDataDir();
  if (!shared) throw new Error('no --data given and no ../shared/data: give a folder of pages with ALTO/PAGE XML, or of line images with .txt transcriptions');
  return `${shared}/copiste`;
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
