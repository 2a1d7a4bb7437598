import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readOnnxInfo } from '../onnx/import.ts';
import { ARCH_DEFAULTS, ARCHS, trainModel } from '../train/train.ts';
import { lineChartSvg, writeSvgPng } from '../train/plots.ts';
import type { Arch, TrainEvent, TrainOptions, TrainResult } from '../train/types.ts';
import { writeFileAtomic } from '../base/atomic.ts';
import { numberOption, parseCli, UsageError } from './args.ts';
import { ProgressBar } from './progress.ts';

export const usage =
  'train [--arch mlp|ae|cnn|tfmlp] [--data PATH [--labels IDX]] [--epochs N] [--lr X | --lr X,Y,... | --sweep] [--batch N] [--momentum M] [--width W] ' +
  '[--floor F] [--no-augment] [--no-balance] [--patience N] [--limit N] [--seed N] [--init-from MODEL [--freeze]] [--out DIR] [--resume] [--save models/NAME.onnx]';

const SWEEP = [3e-2, 3e-3, 3e-4];

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCli(
    args,
    {
      arch: { type: 'string', default: 'mlp' },
      data: { type: 'string' },
      labels: { type: 'string' },
      epochs: { type: 'string' },
      lr: { type: 'string' },
      sweep: { type: 'boolean', default: false },
      batch: { type: 'string' },
      momentum: { type: 'string' },
      width: { type: 'string' },
      floor: { type: 'string' },
      'no-augment': { type: 'boolean', default: false },
      'no-balance': { type: 'boolean', default: false },
      patience: { type: 'string' },
      limit: { type: 'string' },
      seed: { type: 'string' },
      'init-from': { type: 'string' },
      freeze: { type: 'boolean', default: false },
      out: { type: 'string' },
      resume: { type: 'boolean', default: false },
      save: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
    usage,
  );
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' (give the data with --data PATH)\nusage: hwr ${usage}`);
  const arch = values.arch as Arch;
  if (!ARCHS.includes(arch)) throw new UsageError(`--arch must be one of ${ARCHS.join(', ')}, got '${values.arch}'`);
  const d = ARCH_DEFAULTS[arch];
  const base: TrainOptions = {
    arch,
    data: values.data,
    labels: values.labels,
    epochs: numberOption(values.epochs, 'epochs', { min: 1, max: 10_000, integer: true }) ?? d.epochs,
    learningRate: d.learningRate,
    batchSize: numberOption(values.batch, 'batch', { min: 1, max: 65536, integer: true }) ?? d.batchSize,
    momentum: numberOption(values.momentum, 'momentum', { min: 0, max: 0.999 }) ?? d.momentum,
    width: numberOption(values.width, 'width', { min: 0.25, max: 8 }),
    floor: numberOption(values.floor, 'floor', { min: 0, max: 1 }),
    augment: values['no-augment'] ? false : d.augment,
    balance: values['no-balance'] ? false : d.balance,
    patience: numberOption(values.patience, 'patience', { min: 0, integer: true }) ?? d.patience,
    limit: numberOption(values.limit, 'limit', { min: 0, integer: true }) ?? 0,
    seed: numberOption(values.seed, 'seed', { integer: true }) ?? 1,
    initFrom: values['init-from'],
    freezeFeatures: values.freeze,
    outDir: resolve(values.out ?? join('runs', `${arch}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`)),
    resume: values.resume,
    save: values.save && resolve(values.save),
    command: `hwr train ${args.join(' ')}`,
  };
  if (values.width !== undefined && arch !== 'cnn') throw new UsageError(`--width sets the CNN's filter counts; --arch ${arch} has none`);
  if (values.floor !== undefined && arch !== 'cnn' && arch !== 'tfmlp') throw new UsageError(`--floor (decision offsets) applies to the TensorFlow.js trainer (--arch cnn or tfmlp), not --arch ${arch}`);
  if (values.freeze && !values['init-from']) throw new UsageError('--freeze needs --init-from MODEL');
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

  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    console.error('\nstopping after this batch (Ctrl-C again to quit now); the best model so far stays on disk');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  try {
    // One rate, or a sweep: --sweep tries 3e-2, 3e-3 and 3e-4; --lr A,B,C tries those.
    const rates = values.sweep ? SWEEP : (values.lr ?? String(d.learningRate)).split(',').map((s) => numberOption(s.trim(), 'lr', { min: Number.MIN_VALUE, max: 10 })!);
    if (rates.length === 1) {
      base.learningRate = rates[0]!;
      const result = await trainOnce(base, controller.signal, values.quiet);
      return result.cancelled ? 130 : 0;
    }
    const results: { lr: number; result: TrainResult }[] = [];
    for (const lr of rates) {
      console.log(`--- learning rate ${lr}`);
      const result = await trainOnce({ ...base, learningRate: lr, outDir: join(base.outDir, `lr-${lr}`), save: undefined }, controller.signal, values.quiet);
      results.push({ lr, result });
      if (result.cancelled) return 130;
    }
    const score = (r: TrainResult) => r.validationAccuracy ?? r.validationPsnr ?? -Infinity;
    const best = results.reduce((a, b) => (score(b.result) > score(a.result) ? b : a));
    const metric = arch === 'ae' ? 'validationPsnr' : 'validationAccuracy';
    writeFileAtomic(join(base.outDir, 'sweep.json'), JSON.stringify(results.map(({ lr, result }) => ({ lr, bestEpoch: result.bestEpoch, [metric]: result[metric], history: result.history })), null, 1));
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
      await trainOnce({ ...base, learningRate: best.lr, outDir: join(base.outDir, 'best') }, controller.signal, values.quiet);
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
  }
}

async function trainOnce(opts: TrainOptions, signal: AbortSignal, quiet = false): Promise<TrainResult> {
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
  const result = await trainModel(opts, { onEvent, signal });
  const figure = result.validationAccuracy !== undefined ? `validation accuracy ${result.validationAccuracy.toFixed(4)}` : result.validationPsnr !== undefined ? `validation psnr ${result.validationPsnr.toFixed(2)} dB` : 'no epoch finished';
  console.log(`${result.cancelled ? 'cancelled' : 'done'} in ${result.seconds.toFixed(0)} s: best epoch ${result.bestEpoch}, ${figure}`);
  for (const [role, path] of Object.entries(result.artefacts)) console.log(`  ${role}: ${path}`);
  if (opts.save && !result.cancelled && result.bestEpoch > 0) console.log(`  installed: ${opts.save}`);
  return result;
}
