import { loadIdx } from '../data/idx.ts';
import { defaultRecognizerPath } from '../base/model-files.ts';
import { OnnxModel } from '../onnx/runtime.ts';
import { argmaxRows, classificationReport, formatReport } from '../train/metrics.ts';
import { runBatched } from '../train/predict.ts';
import { parseCli, UsageError } from './args.ts';
import { CLASSES_36 } from '../contract.ts';

export const usage = 'eval [--model FILE] --images IDX --labels IDX   per-class accuracy, confused pairs; last line "accuracy 0.xxxx"';

export async function run(args: string[]): Promise<number> {
  const { values } = parseCli(args, { model: { type: 'string' }, images: { type: 'string' }, labels: { type: 'string' } }, usage);
  if (!values.images || !values.labels) throw new UsageError(`--images and --labels are required\nusage: hwr ${usage}`);
  const modelPath = values.model ?? defaultRecognizerPath();
  const model = await OnnxModel.load(modelPath);
  try {
    const classes = model.classes ?? [...CLASSES_36];
    const set = loadIdx(values.images, values.labels, { classes });
    if (set.count === 0) throw new Error(`${values.images}: holds no images, so there is nothing to evaluate`);
    if (set.height * set.width * set.channels !== model.inputSize) {
      throw new Error(`${values.images}: images are ${set.height}×${set.width}×${set.channels}, the model ${modelPath} takes ${model.inputShape.join('×')}`);
    }
    const probs = await runBatched(model, set.pixels, set.count);
    const report = classificationReport(argmaxRows(probs, set.count, classes.length), set.labels, classes);
    const m = model.metadata;
    const calibration = [
      m.temperature && `temperature ${Number(m.temperature).toFixed(3)}`,
      m.decision_offsets && `decision offsets ${m.decision_offsets}`,
    ].filter(Boolean);
    console.log(`model ${modelPath}${calibration.length ? ` (${calibration.join('; ')})` : ''}`);
    console.log(`images ${set.count} from ${values.images}`);
    for (const line of formatReport(report)) console.log(line);
    console.log(`accuracy ${report.accuracy.toFixed(4)}`);
    return 0;
  } finally {
    await model.close();
  }
}
