import { bytesToGlyphs, checkGlyphSize, readIdxImages } from '../data/idx.ts';
import { defaultAutoencoderPath } from '../base/model-files.ts';
import { OnnxModel } from '../onnx/runtime.ts';
import { mean, psnrPerImage } from '../train/metrics.ts';
import { runBatched } from '../train/predict.ts';
import { parseCli, UsageError } from './args.ts';
import { GLYPH_VALUES } from '../contract.ts';

export const usage = 'eval-ae [--model FILE] --images IDX   mean per-image PSNR of the autoencoder; last line "psnr NN.NN"';

export async function run(args: string[]): Promise<number> {
  const { values } = parseCli(args, { model: { type: 'string' }, images: { type: 'string' } }, usage);
  if (!values.images) throw new UsageError(`--images is required\nusage: hwr ${usage}`);
  const modelPath = values.model ?? defaultAutoencoderPath();
  const model = await OnnxModel.load(modelPath);
  try {
    if (model.inputSize !== GLYPH_VALUES) throw new Error(`${modelPath} takes ${model.inputShape.join('×')} inputs, not 32×32 glyphs: is it an autoencoder?`);
    const images = readIdxImages(values.images);
    // The autoencoder judges 32×32 glyphs (28×28 EMNIST ones framed as 32×32): other shapes, or none, it cannot judge.
    checkGlyphSize(values.images, images);
    if (images.count === 0) throw new Error(`${values.images}: holds no images, so there is nothing to evaluate`);
    const glyphs = new Float32Array(images.count * GLYPH_VALUES);
    bytesToGlyphs(images, false, glyphs, 0);
    const out = await runBatched(model, glyphs, images.count);
    if (out.length !== glyphs.length)
      throw new Error(`${modelPath} outputs ${out.length / images.count} values per image, not ${GLYPH_VALUES}: is it an autoencoder?`);
    const psnr = psnrPerImage(glyphs, out, images.count, GLYPH_VALUES);
    const sorted = Float64Array.from(psnr).sort();
    console.log(`model ${modelPath}`);
    console.log(`images ${images.count} from ${values.images}`);
    console.log(
      `psnr median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)} dB, worst 5% below ${sorted[Math.floor(sorted.length * 0.05)]!.toFixed(2)} dB`,
    );
    console.log(`psnr ${mean(psnr).toFixed(2)}`);
    return 0;
  } finally {
    await model.close();
  }
}
