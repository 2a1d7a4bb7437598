/**
 * Fine-tuning (--init-from): an exported model becomes the starting network. Its architecture
 * must be one this trainer builds, of the requested kind, on the data's input shape; when the
 * classes differ (names or order) the output layer starts fresh; with freezeFeatures only the
 * output layer trains.
 */
import { readFileSync } from 'node:fs';
import { importOnnx } from '../../onnx/import.ts';
import { createRng } from '../../base/random.ts';
import { replaceOutputLayer } from '../../nn/spec.ts';
import { fromNetworkSpec, paramLayout, type Architecture, type ParamInfo, type TfArch } from './model.ts';

export interface StartingPoint {
  architecture: Architecture;
  layout: ParamInfo[];
  weights: Float32Array;
  trainable: boolean[];
}

export function fineTuneStart(
  path: string,
  opts: { arch: TfArch; seed: number; freezeFeatures?: boolean },
  fresh: Architecture,
  classes: readonly string[],
  log: (m: string) => void,
): StartingPoint {
  let spec;
  try {
    spec = importOnnx(readFileSync(path));
  } catch (err) {
    throw new Error(`--init-from ${path}: ${(err as Error).message}`, { cause: err });
  }
  const sameClasses = (spec.classes ?? []).join('\u0000') === classes.join('\u0000');
  const { architecture: imported, weights } = fromNetworkSpec(sameClasses ? spec : replaceOutputLayer(spec, classes.length, createRng(opts.seed)));
  if (imported.arch !== opts.arch) throw new Error(`--init-from ${path} is a ${imported.arch} network, but --arch is ${opts.arch}`);
  if (imported.inputShape.join() !== fresh.inputShape.join()) {
    throw new Error(`--init-from ${path} takes input [${imported.inputShape.join(', ')}], but the data gives [${fresh.inputShape.join(', ')}]`);
  }
  const architecture = imported;
  log(
    sameClasses
      ? `fine-tuning ${path} (same ${classes.length} classes)`
      : `fine-tuning ${path}: ${spec.classes?.length ?? '?'} → ${classes.length} classes, new output layer`,
  );
  const layout = paramLayout(architecture);
  const trainable = trainableParams(layout, opts.freezeFeatures);
  if (opts.freezeFeatures) log('feature layers frozen: only the output layer trains');
  return { architecture, layout, weights, trainable };
}

/** Which parameters train: all, or with freezeFeatures only the output layer's. */
export function trainableParams(layout: readonly ParamInfo[], freezeFeatures?: boolean): boolean[] {
  return layout.map((p) => !freezeFeatures || p.output);
}
