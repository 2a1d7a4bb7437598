/**
 * What the from-scratch engine writes besides training: its model as ONNX, and at the end of a
 * run the curves, first-layer weight pictures, the confusion matrix or reconstructions.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../base/atomic.ts';
import { predict, type Network } from '../nn/index.ts';
import type { DenseSpec, NetworkSpec } from '../nn/spec.ts';
import type { FitRecord } from './backend.ts';
import type { ClassificationReport } from './metrics.ts';
import { confusionSvg, lineChartSvg, tileGrid, weightTiles, writeGrayPng, writeSvgPng } from './plots.ts';
import type { TrainOptions } from './types.ts';

export function firstDense(net: Network): DenseSpec | undefined {
  return net.toSpec().layers.find((l): l is DenseSpec => l.kind === 'dense');
}

export function toSpec(net: Network, o: TrainOptions, classes: readonly string[], set: { height: number; width: number; channels: number }): NetworkSpec {
  const isAe = o.arch === 'ae';
  return net.toSpec({
    name: o.arch,
    inputShape: [set.height * set.width * set.channels],
    classes: isAe ? undefined : [...classes],
    metadata: {
      trainer: 'hwr from-scratch engine',
      command: o.command ?? `hwr train --arch ${o.arch}`,
      image_shape: JSON.stringify([set.height, set.width, set.channels]),
    },
  });
}

export async function writeArtefacts(
  o: TrainOptions,
  net: Network,
  history: FitRecord[],
  weightsBefore: DenseSpec | undefined,
  report: ClassificationReport | undefined,
  ae: { inputs: Float32Array; labels: Int32Array; count: number; size: number; side: number } | undefined,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const at = (name: string) => (out[name.replace(/\..*$/, '')] = join(o.outDir, name));
  writeFileAtomic(at('curves.json'), JSON.stringify(history, null, 1));
  await writeSvgPng(
    at('curves-loss.png'),
    lineChartSvg({
      title: `${o.arch}: loss per epoch`,
      xLabel: 'epoch',
      yLabel: ae ? 'mean squared error' : 'cross-entropy',
      series: [
        { name: 'train', values: history.map((h) => h.trainLoss) },
        { name: 'validation', values: history.map((h) => h.validationLoss) },
      ],
    }),
  );
  if (ae) {
    await writeSvgPng(
      at('curves-psnr.png'),
      lineChartSvg({
        title: 'autoencoder: validation PSNR',
        xLabel: 'epoch',
        yLabel: 'PSNR (dB)',
        series: [{ name: 'validation', values: history.map((h) => h.validationPsnr ?? NaN) }],
      }),
    );
  } else {
    await writeSvgPng(
      at('curves-accuracy.png'),
      lineChartSvg({
        title: `${o.arch}: accuracy per epoch`,
        xLabel: 'epoch',
        yLabel: 'accuracy',
        series: [
          { name: 'train', values: history.map((h) => h.trainAccuracy ?? NaN) },
          { name: 'validation', values: history.map((h) => h.validationAccuracy ?? NaN) },
        ],
      }),
    );
  }
  const side = Math.round(Math.sqrt(weightsBefore?.inputs ?? 0));
  const after = firstDense(net);
  if (weightsBefore && after && side * side === weightsBefore.inputs) {
    for (const [name, layer] of [
      ['weights-before.png', weightsBefore],
      ['weights-after.png', after],
    ] as const) {
      await writeGrayPng(at(name), tileGrid(weightTiles(layer.weights, layer.inputs, layer.outputs), layer.outputs, side, side, { zoom: 3 }));
    }
  }
  if (report) {
    writeFileAtomic(
      at('confusion.json'),
      JSON.stringify(
        {
          classes: report.perClass.map((p) => p.label),
          matrix: report.confusion,
          confused: report.confused,
          perClass: report.perClass,
          accuracy: report.accuracy,
          balancedAccuracy: report.balancedAccuracy,
        },
        null,
        1,
      ),
    );
    await writeSvgPng(
      at('confusion.png'),
      confusionSvg(
        report.confusion,
        report.perClass.map((p) => p.label),
      ),
    );
  }
  if (ae) {
    // Two validation glyphs of each class: originals on the odd rows, reconstructions below them.
    const picks: number[] = [];
    const seen = new Map<number, number>();
    for (let i = 0; i < ae.count && picks.length < 72; i++) {
      const c = ae.labels[i]!;
      if ((seen.get(c) ?? 0) < 2) {
        seen.set(c, (seen.get(c) ?? 0) + 1);
        picks.push(i);
      }
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
