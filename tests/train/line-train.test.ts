import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../app/train/checkpoint.ts';
import { checkpointPath, fit } from '../../app/train/fit.ts';
import { lineBackend, type LineSettings } from '../../app/train/tfjs/line-backend.ts';
import type { LineArchitecture } from '../../app/train/tfjs/line-model.ts';
import type { TrainOptions, TrainResult } from '../../app/train/types.ts';
import { LineReader } from '../../app/recognize/line-reader.ts';
import { toUnitFloats } from '../../app/data/idx.ts';
import { loadLineDataset, splitByWriter } from '../../app/data/lines.ts';
import { blockBank, writePage } from '../helpers/line-pages.ts';

const root = mkdtempSync(join(tmpdir(), 'hwr-line-train-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const pages = join(root, 'pages');
const texts = ['ab ba', 'bab', 'aab', 'b a b', 'ba ab', 'abba', 'a b', 'bb a'];

const settings: LineSettings = {
  backend: 'wasm',
  glyphs: blockBank(),
  synthetic: 0.5,
  validationShare: 0.3,
  architecture: (classes): LineArchitecture => ({
    height: 48,
    convs: [
      { filters: 6, pool: [2, 2] },
      { filters: 8, pool: [2, 2] },
      { filters: 8, pool: [2, 1] },
      { filters: 8, pool: [2, 1] },
    ],
    seq: [{ filters: 24, kernel: 3 }],
    classes,
    dropout: 0,
  }),
};

function options(outDir: string, epochs: number, resume = false): TrainOptions {
  return {
    arch: 'crnn',
    data: pages,
    epochs,
    learningRate: 0.01,
    batchSize: 8,
    momentum: 0.9,
    outDir,
    seed: 3,
    augment: true,
    balance: false,
    patience: 0,
    limit: 0,
    resume,
  };
}
/** Trains; with `stopAfter`, cancels once that epoch is done, as a user closing the app would. */
function train(o: TrainOptions, stopAfter?: number, own: LineSettings = {}): Promise<TrainResult> {
  const controller = new AbortController();
  const onEvent = (e: { type: string; record?: { epoch: number } }) => e.type === 'epoch' && e.record!.epoch === stopAfter && controller.abort();
  return fit(o, (log) => lineBackend(o, log, { ...settings, ...own }), { signal: controller.signal, onEvent });
}

describe('training the line recogniser with fit', () => {
  let full: TrainResult;
  beforeAll(async () => {
    mkdirSync(pages);
    // Eight writers, two lines each.
    for (let w = 0; w < 8; w++) await writePage(pages, `writer${w}`, [texts[w]!, texts[(w + 3) % 8]!]);
    full = await train(options(join(root, 'full'), 4));
  }, 300_000);

  it('reports CER and WER per epoch, writes the model, and the loss falls', () => {
    expect(full.history).toHaveLength(4);
    for (const h of full.history) {
      expect(h.cer).toBeGreaterThanOrEqual(0);
      expect(h.wer).toBeGreaterThanOrEqual(0);
    }
    expect(full.history[3]!.trainLoss).toBeLessThan(full.history[0]!.trainLoss);
    expect(existsSync(full.modelPath)).toBe(true);
  });

  it('trains data-parallel on every core of this machine by default', () => {
    expect(full.backend).toMatch(availableParallelism() > 1 ? /, \d replicas \(one thread each\)$/ : /, one thread$/);
  });

  it('leaves no tensor behind: memory stays flat over hours of training', async () => {
    const before = tf.memory().numTensors;
    // In this thread (no replicas), where the tensors can be counted.
    const run = await train(options(join(root, 'memory'), 2), undefined, { replicas: 0 });
    expect(run.backend).toMatch(/, one thread$/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the model card gives CER per writer, the characters and the command', () => {
    const card = readFileSync(full.artefacts.card!, 'utf8');
    expect(card).toMatch(/Character error rate \(CER\) [\d.]+%, word error rate \(WER\) [\d.]+%/);
    expect(card).toMatch(/\| writer \| lines \| CER \|/);
    expect(card).toMatch(/\| writer\d \| 2 \| [\d.]+% \|/);
    expect(card).toContain('Characters: `ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz .,;:');
    expect(card).toMatch(/hwr train --arch crnn --data /);
    expect(card).not.toMatch(/BAnQ/); // not trained on the Copiste pages
    expect(card).toMatch(/\d+ synthetic lines each epoch \(EMNIST glyphs .*; 33% of them in block capitals, from well apart to overlapping\)/);
    expect(card).toMatch(/Beam search \(width 32\) with a character 5-gram .* weight [\d.]+, character bonus [\d.]+, CER [\d.]+%\. Tried/);
    // Every n-gram weight against every character bonus, as a table of CER.
    expect(card).toMatch(/\| n-gram weight \| character bonus 0 \| character bonus 0\.5 \|/);
    expect(card).toMatch(/\| 0\.75 \| [\d.]+% \| [\d.]+% \| [\d.]+% \| [\d.]+% \| [\d.]+% \|/);
  });

  it('the model it writes reads through onnxruntime what the trainer read, and carries its n-gram', async () => {
    const reader = await LineReader.load(full.modelPath);
    const set = await loadLineDataset(pages);
    const first = set.lines[splitByWriter(set.lines, 0.3).validation[0]!]!;
    const read = await reader.read({ width: first.width, height: first.height, data: toUnitFloats(first.ink) });
    // The card's first "Lines as read" row: the same line as TF.js read it at the end of training.
    const card = readFileSync(full.artefacts.card!, 'utf8').split('\n');
    const row = card[card.indexOf('| truth | read |') + 2]!.split(' | ');
    expect(row[0]).toBe(`| ${first.text}`);
    expect(read.text).toBe(row[1]!.replace(/ \|$/, ''));
    expect(reader.beam.lm).toBeDefined(); // the n-gram chosen on validation travels in the file
    expect([0, 0.25, 0.5, 0.75, 1]).toContain(reader.beam.lmWeight);
    expect([0, 0.5, 1, 1.5, 2]).toContain(reader.beam.charBonus); // and the bonus per character with it
    expect(reader.beam.beam).toBe(32);
    // The word bonus chosen on validation, and the word list with it when it is not 0.
    expect(card.join('\n')).toMatch(
      /bonus for each word found in the French and English word list .* bonus [\d.]+, \*\*CER [\d.]+%, WER [\d.]+%\*\* \(tried: 0 → [\d.]+%, 0\.5 → /,
    );
    expect(reader.beam.lexicon?.has('maison') ?? false).toBe((reader.beam.wordBonus ?? 0) > 0);
    expect(reader.height).toBe(48);
    await reader.close();
  });

  it('--init-from fine-tunes a trained line model, grown wider and deeper, on lines with a new character', async () => {
    const more = join(root, 'more');
    mkdirSync(more);
    // The same writers, and a transcription with a character the model has never had an output for.
    for (let w = 0; w < 8; w++) await writePage(more, `writer${w}`, [texts[w]!, `${texts[(w + 3) % 8]!} ¤`], [texts[w]!, texts[(w + 3) % 8]!]);
    const o: TrainOptions = { ...options(join(root, 'tuned'), 1), data: more, initFrom: full.modelPath, width: 0.25, depth: 2, learningRate: 0.002 };
    const logs: string[] = [];
    const tuned = await fit(o, (log) => lineBackend(o, (m) => (logs.push(m), log(m)), { ...settings, architecture: undefined }), {});
    expect(logs.join('\n')).toMatch(/fine-tuning .*model\.onnx, grown to 2 1-D convolutions of 48 filters, 1 new character/);
    // It starts from what the model knows: after one epoch it reads the validation lines far better
    // than the same epoch started afresh.
    const fresh = { ...o, initFrom: undefined, width: undefined, depth: undefined, outDir: join(root, 'fresh') };
    const afresh = await fit(fresh, (log) => lineBackend(fresh, log, settings), {});
    expect(tuned.history[0]!.cer).toBeLessThan(afresh.history[0]!.cer! - 0.2);
    // The model's characters keep their outputs; the new one comes after them.
    const [before, after] = await Promise.all([LineReader.load(full.modelPath), LineReader.load(tuned.modelPath)]);
    expect(after.charset.chars).toEqual([...before.charset.chars, '¤']);
    await Promise.all([before.close(), after.close()]);
    const card = readFileSync(tuned.artefacts.card!, 'utf8');
    expect(card).toContain('Fine-tuned from');
  }, 300_000);

  it('a run stopped after two epochs and resumed ends exactly where the uninterrupted run did', async () => {
    const out = join(root, 'resumed');
    const stopped = await train(options(out, 4), 2);
    expect(stopped.cancelled).toBe(true);
    const resumed = await train(options(out, 4, true));
    expect(resumed.history.map((h) => h.trainLoss)).toEqual(full.history.map((h) => h.trainLoss));
    const a = readCheckpoint(checkpointPath(join(root, 'full'))).arrays;
    const b = readCheckpoint(checkpointPath(out)).arrays;
    expect(b.weights).toEqual(a.weights);
    expect(b.v).toEqual(a.v);
  }, 300_000);
});
