/**
 * One table, one answer: for each number option of TRAIN_OPTIONS, `hwr train`, the startTraining
 * request and the trainers' checkTrainOptions refuse the same out-of-range value and name the same limits.
 */
import { describe, expect, it } from 'vitest';
import { TRAIN_OPTIONS, type TrainOptionName, type TrainOptionSpec, type TrainRequest } from '../../app/contract.ts';
import { validateRequest } from '../../app/services/validate.ts';
import { ARCH_DEFAULTS } from '../../app/train/archs.ts';
import { checkTrainOptions } from '../../app/train/options.ts';
import type { TrainOptions } from '../../app/train/types.ts';
import { runHwr } from '../helpers/fixtures.ts';

const request: TrainRequest = { arch: 'cnn', dataset: 'emnist36', ...ARCH_DEFAULTS.cnn, limit: 0, seed: 1 };
const options: TrainOptions = { ...request, outDir: 'run' };
const numbers = (Object.keys(TRAIN_OPTIONS) as TrainOptionName[]).flatMap((name) => {
  const spec: TrainOptionSpec = TRAIN_OPTIONS[name];
  return spec.kind === 'integer' || spec.kind === 'number' ? [{ name, spec }] : [];
});

describe('one table of training options', () => {
  it.each(
    numbers.flatMap(({ name, spec }) => [
      { name, spec, value: spec.max * 2 + 1 },
      { name, spec, value: spec.min - 1 },
    ]),
  )('$name = $value is refused everywhere with its range', async ({ name, spec, value }) => {
    // Each option is tried on an architecture it applies to.
    const arch = spec.archs?.[0] ?? 'cnn';
    const cli = await runHwr(['train', '--arch', arch, `--${spec.flag}=${value}`]);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain(
      `--${spec.flag} must be ${spec.kind === 'integer' ? 'an integer' : 'a number'} ≥ ${spec.min} and ≤ ${spec.max}, got '${value}'`,
    );

    const range = `within ${spec.min}..${spec.max}`;
    expect(() => checkTrainOptions({ ...options, arch, [name]: value })).toThrow(`${name} (--${spec.flag}) must be`);
    expect(() => checkTrainOptions({ ...options, arch, [name]: value })).toThrow(range);
    if (name in request)
      expect(() => validateRequest('startTraining', { ...request, [name]: value })).toThrow(`startTraining.${name} must be ${range}, got ${value}`);
  });

  it('every number field of the startTraining request is a row of the table', () => {
    const rows = numbers.map(({ name }) => name as string);
    for (const [field, value] of Object.entries(request)) if (typeof value === 'number') expect(rows).toContain(field);
  });

  it('hwr train --help lists every option with its range and defaults', async () => {
    const help = await runHwr(['train', '--help']);
    expect(help.code).toBe(0);
    for (const { spec } of numbers) expect(help.stdout).toMatch(new RegExp(`--${spec.flag} .*within ${spec.min}\\.\\.${spec.max}`.replace(/\+/g, '\\+')));
    expect(help.stdout).toMatch(/--epochs N .*default mlp 40, ae 80, cnn 30, tfmlp 40/);
    expect(help.stdout).toMatch(/--width W .*--arch cnn\|crnn only/);
    expect(help.stdout).toMatch(/--depth N .*--arch crnn only/);
  });
});
