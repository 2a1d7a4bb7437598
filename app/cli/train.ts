import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { checkpointPath } from '../train/fit.ts';
import { checkWritableFolder } from '../base/atomic.ts';
import { dirname, join, resolve } from 'node:path';
import { readOnnxInfo } from '../onnx/import.ts';
import { rangeText, trainDefault, TRAIN_OPTIONS, type TrainOptionName, type TrainOptionSpec } from '../contract.ts';
import { trainModel } from '../train/train.ts';
import { lineChartSvg, writeSvgPng } from '../train/plots.ts';
import type { Arch, TrainEvent, TrainHooks, TrainOptions, TrainResult } from '../train/types.ts';
import { writeFileAtomic } from '../base/atomic.ts';
import { numberOption, parseCli, UsageError } from './args.ts';
import { ProgressBar } from './progress.ts';

const OPTION_NAMES = Object.keys(TRAIN_OPTIONS) as TrainOptionName[];
/** Flags of `hwr train` itself, not of one run. */
const RUN_FLAGS = { sweep: 'train once per rate 3e-2, 3e-3, 3e-4 and report the best', quiet: 'no progress bar', help: 'this text' };

const placeholder = (spec: TrainOptionSpec) => (spec.kind === 'choice' ? spec.values.join('|') : spec.kind === 'boolean' ? undefined : spec.meta);
const flagText = (spec: TrainOptionSpec) => `--${spec.flag}${placeholder(spec) ? ` ${placeholder(spec)}` : ''}`;
const allFlags = [...OPTION_NAMES.map((n) => flagText(TRAIN_OPTIONS[n])), ...Object.keys(RUN_FLAGS).map((f) => `--${f}`)];
export const usage = `train ${allFlags.map((f) => `[${f}]`).join(' ')}`;

/** `hwr train --help`: each option with its range, default and the architectures that take it, from TRAIN_OPTIONS. */
export function helpText(): string {
  const rows: [string, string][] = OPTION_NAMES.map((name) => {
    const spec: TrainOptionSpec = TRAIN_OPTIONS[name];
    const notes: string[] = [];
    if (spec.kind === 'integer' || spec.kind === 'number') notes.push(rangeText(spec));
    if (spec.kind === 'boolean') {
      const on = TRAIN_OPTIONS.arch.values.filter((a) => trainDefault(name, a));
      if (on.length > 0) notes.push(`${name} is on for ${on.join(', ')}`);
    } else if ('default' in spec) notes.push(`default ${defaultText(spec.default)}`);
    if (spec.archs) notes.push(`--arch ${spec.archs.join('|')} only`);
    return [flagText(spec), `${spec.help}${notes.length ? ` [${notes.join('; ')}]` : ''}`];
  });
  for (const [flag, help] of Object.entries(RUN_FLAGS)) rows.push([`--${flag}`, help]);
  const width = Math.max(...rows.map(([f]) => f.length));
  return [`usage: hwr ${usage}`, '', ...rows.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`)].join('\n');
}

function defaultText(value: unknown): string {
  if (typeof value !== 'object' || value === null) return String(value);
  const byArch = Object.entries(value);
  const same = byArch.every(([, v]) => v === byArch[0]?.[1]);
  return same ? String(byArch[0]?.[1]) : byArch.map(([arch, v]) => `${arch} ${String(v)}`).join(', ');
}

const SWEEP = [3e-2, 3e-3, 3e-4];

type CliValues = Record<string, string | boolean | undefined>;

/** One number option read from the command line within the table's range; the table's default when absent. */
function numberFrom(values: CliValues, name: TrainOptionName, arch: Arch, text = values[TRAIN_OPTIONS[name].flag]): number | undefined {
  const spec: TrainOptionSpec = TRAIN_OPTIONS[name];
  if (spec.kind !== 'integer' && spec.kind !== 'number') throw new TypeError(`${name} is not a number option`);
  const given = numberOption(typeof text === 'string' ? text : undefined, spec.flag, { min: spec.min, max: spec.max, integer: spec.kind === 'integer' });
  // Options of some architectures only stay unset: the trainer applies the same default, and the card shows only what was given.
  return given ?? (spec.archs ? undefined : (trainDefault(name, arch) as number));
}

function booleanFrom(values: CliValues, name: TrainOptionName, arch: Arch): boolean {
  const spec: TrainOptionSpec = TRAIN_OPTIONS[name];
  if (spec.kind !== 'boolean') throw new TypeError(`${name} is not a boolean option`);
  return values[spec.flag] ? spec.set : (trainDefault(name, arch) as boolean);
}

function textFrom(values: CliValues, name: TrainOptionName): string | undefined {
  const value = values[TRAIN_OPTIONS[name].flag];
  return typeof value === 'string' ? value : undefined;
}

/** Runs one training: here (trainModel), or on a queue worker (`hwr queue train`). */
export type Trainer = (opts: TrainOptions, hooks: TrainHooks) => Promise<TrainResult>;

/** `name`: the command as the model card records it. */
export async function run(args: string[], trainer: Trainer = trainModel, name = 'train'): Promise<number> {
  const config = Object.fromEntries([
    ...OPTION_NAMES.map((n) => [TRAIN_OPTIONS[n].flag, { type: TRAIN_OPTIONS[n].kind === 'boolean' ? 'boolean' : 'string' }] as const),
    ...Object.keys(RUN_FLAGS).map((flag) => [flag, { type: 'boolean' }] as const),
  ]);
  const { values, positionals } = parseCli(args, config, usage) as { values: CliValues; positionals: string[] };
  if (values.help) {
    console.log(helpText());
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' (give the data with --data PATH)\nusage: hwr ${usage}`);
  const archSpec = TRAIN_OPTIONS.arch;
  const arch = (values[archSpec.flag] ?? archSpec.default) as Arch;
  if (!archSpec.values.includes(arch)) throw new UsageError(`--arch must be one of ${archSpec.values.join(', ')}, got '${String(arch)}'`);
  const initFrom = textFrom(values, 'initFrom');
  const save = textFrom(values, 'save');
  const base: TrainOptions = {
    arch,
    data: textFrom(values, 'data'),
    labels: textFrom(values, 'labels'),
    epochs: numberFrom(values, 'epochs', arch)!,
    learningRate: trainDefault('learningRate', arch) as number,
    batchSize: numberFrom(values, 'batchSize', arch)!,
    momentum: numberFrom(values, 'momentum', arch)!,
    width: numberFrom(values, 'width', arch),
    depth: numberFrom(values, 'depth', arch),
    synthetic: numberFrom(values, 'synthetic', arch),
    capitals: numberFrom(values, 'capitals', arch),
    floor: numberFrom(values, 'floor', arch),
    augment: booleanFrom(values, 'augment', arch),
    balance: booleanFrom(values, 'balance', arch),
    patience: numberFrom(values, 'patience', arch)!,
    limit: numberFrom(values, 'limit', arch)!,
    seed: numberFrom(values, 'seed', arch)!,
    initFrom,
    freezeFeatures: booleanFrom(values, 'freezeFeatures', arch),
    outDir: resolve(textFrom(values, 'outDir') ?? join('runs', `${arch}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`)),
    resume: booleanFrom(values, 'resume', arch),
    save: save && resolve(save),
    command: `hwr ${name} ${args.join(' ')}`,
  };
  for (const name of OPTION_NAMES) {
    const spec: TrainOptionSpec = TRAIN_OPTIONS[name];
    if (spec.archs && values[spec.flag] !== undefined && !spec.archs.includes(arch)) {
      throw new UsageError(`--${spec.flag} applies to --arch ${spec.archs.join(' or ')}, not --arch ${arch}`);
    }
  }
  if (base.freezeFeatures && !initFrom) throw new UsageError('--freeze needs --init-from MODEL');
  if (base.initFrom) {
    // Checked here, so a bad file is named before any data is read.
    const from = resolve(base.initFrom);
    let bytes: Buffer;
    try {
      bytes = readFileSync(from);
    } catch (err) {
      throw new UsageError(`--init-from ${from}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
    try {
      readOnnxInfo(bytes);
    } catch (err) {
      throw new UsageError(`--init-from ${from}: not a model this program reads (${(err as Error).message})`);
    }
    base.initFrom = from;
  }
  if (base.resume && textFrom(values, 'outDir') === undefined) {
    // Without --out there is no run to continue: say which could be meant rather than start afresh.
    const runs = resumableRuns(resolve('runs'));
    throw new UsageError(
      `--resume continues the run in --out DIR, and none was given` +
        (runs.length ? `; runs in runs/ that can be resumed, newest first: ${runs.slice(0, 3).join(', ')}` : '; runs/ holds no run to resume'),
    );
  }
  // Where the run and the model go is checked before any work: a run of hours must not end in a folder it cannot write.
  checkWritableFolder(dirname(base.outDir));
  if (base.save) checkWritableFolder(dirname(base.save));

  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    console.error('\nstopping after this batch (Ctrl-C again to quit now); the best model so far stays on disk');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  try {
    // One rate, or a sweep: --sweep tries 3e-2, 3e-3 and 3e-4; --lr A,B,C tries those.
    const lr = textFrom(values, 'learningRate');
    const rates = values.sweep ? SWEEP : lr === undefined ? [base.learningRate] : lr.split(',').map((s) => numberFrom(values, 'learningRate', arch, s.trim())!);
    if (rates.length === 1) {
      base.learningRate = rates[0]!;
      const result = await trainOnce(base, controller.signal, values.quiet === true, trainer);
      return result.cancelled ? 130 : 0;
    }
    const results: { lr: number; result: TrainResult }[] = [];
    for (const lr of rates) {
      console.log(`--- learning rate ${lr}`);
      const result = await trainOnce(
        { ...base, learningRate: lr, outDir: join(base.outDir, `lr-${lr}`), save: undefined },
        controller.signal,
        values.quiet === true,
        trainer,
      );
      results.push({ lr, result });
      if (result.cancelled) return 130;
    }
    const score = (r: TrainResult) => r.validationAccuracy ?? r.validationPsnr ?? -Infinity;
    const best = results.reduce((a, b) => (score(b.result) > score(a.result) ? b : a));
    const metric = arch === 'ae' ? 'validationPsnr' : 'validationAccuracy';
    writeFileAtomic(
      join(base.outDir, 'sweep.json'),
      JSON.stringify(
        results.map(({ lr, result }) => ({ lr, bestEpoch: result.bestEpoch, [metric]: result[metric], history: result.history })),
        null,
        1,
      ),
    );
    await writeSvgPng(
      join(base.outDir, 'sweep.png'),
      lineChartSvg({
        title: `${arch}: learning-rate sweep (validation)`,
        xLabel: 'epoch',
        yLabel: arch === 'ae' ? 'PSNR (dB)' : 'accuracy',
        series: results.map(({ lr, result }) => ({ name: `lr ${lr}`, values: result.history.map((h) => h.validationPsnr ?? h.validationAccuracy ?? NaN) })),
      }),
    );
    console.log(`best learning rate ${best.lr}: ${metric} ${score(best.result).toFixed(4)} (${best.result.modelPath})`);
    if (base.save) {
      // Re-run the winner with --save so the shipped model and its card come from one run.
      console.log(`training the best learning rate again into ${base.save}`);
      await trainOnce({ ...base, learningRate: best.lr, outDir: join(base.outDir, 'best') }, controller.signal, values.quiet === true, trainer);
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
  }
}

async function trainOnce(opts: TrainOptions, signal: AbortSignal, quiet: boolean, trainer: Trainer): Promise<TrainResult> {
  let bar: ProgressBar | null = null;
  let epochsTotal = opts.epochs;
  const onEvent = (e: TrainEvent) => {
    switch (e.type) {
      case 'start':
        epochsTotal = e.epochs;
        console.log(`training ${e.arch} on ${e.trainCount} images (validation ${e.validationCount}), backend ${e.backend}, into ${opts.outDir}`);
        break;
      case 'batch':
        if (quiet) break;
        bar ??= new ProgressBar(`epoch ${e.epoch}/${epochsTotal}`, e.batches);
        bar.update(e.batch, `loss ${e.loss.toFixed(4)}`);
        break;
      case 'epoch':
        if (bar && process.stderr.isTTY) process.stderr.write('\r\x1b[K');
        bar = null;
        break;
      case 'log':
        console.log(e.message);
        break;
      case 'done':
        break;
    }
  };
  const result = await trainer(opts, { onEvent, signal });
  const best = result.history.find((h) => h.epoch === result.bestEpoch);
  const figure =
    result.validationAccuracy !== undefined
      ? `validation accuracy ${result.validationAccuracy.toFixed(4)}`
      : result.validationPsnr !== undefined
        ? `validation psnr ${result.validationPsnr.toFixed(2)} dB`
        : best?.cer !== undefined
          ? `validation cer ${best.cer.toFixed(4)} wer ${(best.wer ?? NaN).toFixed(4)}`
          : 'no epoch finished';
  console.log(`${result.cancelled ? 'cancelled' : 'done'} in ${result.seconds.toFixed(0)} s: best epoch ${result.bestEpoch}, ${figure}`);
  for (const [role, path] of Object.entries(result.artefacts)) console.log(`  ${role}: ${path}`);
  return result;
}

/** Run folders under `dir` with a checkpoint, newest first (for the hint when --resume lacks --out). */
function resumableRuns(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(checkpointPath(join(dir, e.name))))
    .map((e) => ({ name: join('runs', e.name), time: statSync(checkpointPath(join(dir, e.name))).mtimeMs }))
    .sort((a, b) => b.time - a.time)
    .map((r) => r.name);
}
