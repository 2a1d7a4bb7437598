/**
 * "Retrain on my handwriting" end to end on real data: 50 samples in a hand the shipped MLP was
 * not trained on (EMNIST glyphs, all strongly slanted and thickened) go through the sample store,
 * then retrainOnSamples fine-tunes the MLP on them mixed with replayed base data. On samples held
 * back from training the new model must do better, and on base validation images no more than
 * one point worse.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { modelsDir } from '../../app/base/paths.ts';
import { SampleStore } from '../../app/services/samples.ts';
import { readOnnxInfo } from '../../app/onnx/import.ts';
import { MIN_SAMPLES, retrainOnSamples, type UserSamples } from '../../app/train/personalize.ts';
import { styledSamples } from '../helpers/hand-style.ts';
import { sharedDataForTests } from '../helpers/shared-data.ts';

const shared = sharedDataForTests();
const root = mkdtempSync(join(tmpdir(), 'hwr-personalize-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const MODEL = join(modelsDir, 'mlp.onnx');

async function storedSamples(dir: string, labels: readonly string[], perClass: number): Promise<UserSamples> {
  const store = new SampleStore(dir);
  const { glyphs, labels: classOf } = styledSamples(shared!, labels, perClass);
  for (let i = 0; i < classOf.length; i++) await store.save(classOf[i]!, glyphs.subarray(i * 1024, (i + 1) * 1024), { source: 'draw' });
  const all = await store.readAll();
  return { glyphs: all.glyphs, labels: all.samples.map((s) => s.label) };
}

describe.skipIf(!shared)('retrainOnSamples', () => {
  it('learns a new hand: better on held-back samples, base accuracy within one point', async () => {
    const samples = await storedSamples(join(root, 'samples'), 'ABCDE01234'.split(''), 5);
    expect(samples.labels).toHaveLength(50);
    const outDir = join(root, 'run');
    const logs: string[] = [];
    const { train, report } = await retrainOnSamples(
      samples,
      { modelPath: MODEL, modelId: 'shipped:mlp', baseData: join(shared!, 'emnist36'), outDir, epochs: 4, seed: 1, baseValidation: 2000 },
      { onEvent: (e) => e.type === 'log' && logs.push(e.message) },
    );

    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    console.log(
      `personalisation: held-back user samples ${pct(report.before.user)} → ${pct(report.after!.user)}, ` +
        `base validation ${pct(report.before.base)} → ${pct(report.after!.base)} ` +
        `(blend ${report.blend}, ${report.userTrain} trained / ${report.userHeldOut} held back / ${report.baseValidation} base)`,
    );
    expect(report.userTrain + report.userHeldOut).toBe(50);
    expect(report.userHeldOut).toBeGreaterThanOrEqual(10);
    expect(report.after!.user).toBeGreaterThan(report.before.user);
    expect(report.before.base - report.after!.base).toBeLessThanOrEqual(0.01);
    expect(report.improved).toBe(true);
    expect(report.verdict).toMatch(/better on your samples/);

    // The result is a model the app can load, saying where it came from and how it did.
    expect(train.modelPath).toBe(join(outDir, 'personalized.onnx'));
    const info = readOnnxInfo(readFileSync(train.modelPath));
    expect(info.classes).toHaveLength(36);
    expect(info.metadata.personalized_from).toBe('shipped:mlp');
    expect(info.metadata['user accuracy after']).toBe(`${(report.after!.user * 100).toFixed(2)}%`);
    expect(JSON.parse(readFileSync(join(outDir, 'personalization.json'), 'utf8'))).toMatchObject({ improved: true });
    expect(logs.some((l) => l.startsWith('before: '))).toBe(true);
    // Nothing half-written left in the run folder.
    expect(readdirSync(outDir, { recursive: true }).filter((f) => String(f).endsWith('.tmp'))).toEqual([]);
  });

  it('fine-tunes the shipped CNN (the default recogniser) the same way', async () => {
    const samples = await storedSamples(join(root, 'samples-cnn'), 'ABCDE01234'.split(''), 5);
    const { train, report } = await retrainOnSamples(samples, {
      modelPath: join(modelsDir, 'cnn.onnx'),
      modelId: 'shipped:cnn',
      baseData: join(shared!, 'emnist36'),
      outDir: join(root, 'run-cnn'),
      epochs: 3,
      seed: 1,
      baseValidation: 2000,
    });
    console.log(
      `personalisation (CNN): held-back user samples ${report.before.user} → ${report.after!.user}, ` +
        `base validation ${report.before.base} → ${report.after!.base}`,
    );
    expect(report.after!.user).toBeGreaterThan(report.before.user);
    expect(report.before.base - report.after!.base).toBeLessThanOrEqual(0.01);
    expect(readOnnxInfo(readFileSync(train.modelPath)).inputShape).toEqual([32, 32, 1]);
  });

  it.runIf(existsSync(join(modelsDir, 'cnn62.onnx')))('fine-tunes the mixed-case CNN on samples labelled in both cases, the pools as base data', async () => {
    await storedSamples(join(root, 'samples-62'), 'ABCDE01234'.split(''), 5);
    // The same hand's o and x, labelled in lower case (the sample store keeps them apart from O and X).
    const { glyphs, labels: stored } = await storedSamples(join(root, 'samples-62'), ['O', 'X'], 5);
    const labels = stored.map((l) => (l === 'O' || l === 'X' ? l.toLowerCase() : l));
    expect(labels.filter((l) => l === 'o')).toHaveLength(5);
    const { train, report } = await retrainOnSamples(
      { glyphs, labels },
      {
        modelPath: join(modelsDir, 'cnn62.onnx'),
        modelId: 'shipped:cnn62',
        baseData: `${join(shared!, 'emnist36')},${join(shared!, 'emnist-lower')}`,
        outDir: join(root, 'run-cnn62'),
        epochs: 2,
        seed: 1,
        baseValidation: 1000,
      },
    );
    expect(report.userTrain + report.userHeldOut).toBe(60);
    expect(report.after).not.toBeNull();
    const info = readOnnxInfo(readFileSync(train.modelPath));
    expect(info.classes).toHaveLength(62);
    // The run's data: capitals and digits, and the lower-case samples in the lower-case pool's files.
    expect(existsSync(join(root, 'run-cnn62', 'data', 'train', 'lower', 'emnist-lower-pool-labels-idx1-ubyte'))).toBe(true);
  });

  it('stops at once when cancelled, keeping no model and saying so', async () => {
    const samples = await storedSamples(join(root, 'samples-cancel'), ['7', '1'], 6);
    const controller = new AbortController();
    controller.abort();
    const { train, report } = await retrainOnSamples(
      samples,
      { modelPath: MODEL, baseData: join(shared!, 'emnist36'), outDir: join(root, 'cancelled'), epochs: 3, seed: 1, baseReplay: 500, baseValidation: 200 },
      { signal: controller.signal },
    );
    expect(train.cancelled).toBe(true);
    expect(report.after).toBeNull();
    expect(report.improved).toBe(false);
    expect(report.verdict).toMatch(/cancelled/);
    expect(existsSync(join(root, 'cancelled', 'personalized.onnx'))).toBe(false);
  });

  it(`needs at least ${MIN_SAMPLES} samples, and says how many there are`, async () => {
    const samples = await storedSamples(join(root, 'samples-few'), ['A'], 3);
    await expect(
      retrainOnSamples(samples, { modelPath: MODEL, baseData: join(shared!, 'emnist36'), outDir: join(root, 'few'), epochs: 1, seed: 1 }),
    ).rejects.toThrow(/at least 10 samples .* there are 3/);
  });
});
