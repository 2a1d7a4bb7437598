/** One entry for every training run: the engine's MLP and autoencoder, TensorFlow.js's MLP, CNN and line recogniser, all through fit.ts. */
import { ARCHS } from './archs.ts';
import { fit } from './fit.ts';
import type { TrainHooks, TrainOptions, TrainResult } from './types.ts';

export { ARCH_DEFAULTS, ARCHS } from './archs.ts';

export async function trainModel(opts: TrainOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  switch (opts.arch) {
    case 'mlp':
    case 'ae': {
      const { engineBackend } = await import('./engine.ts');
      return fit(opts, () => engineBackend(opts), hooks);
    }
    case 'cnn':
    case 'tfmlp': {
      const { tfjsBackend } = await import('./tfjs/train.ts');
      return fit(opts, (log) => tfjsBackend(opts, log), hooks);
    }
    case 'crnn': {
      const { lineBackend } = await import('./tfjs/line-backend.ts');
      return fit(opts, (log) => lineBackend(opts, log), hooks);
    }
    default:
      throw new RangeError(`unknown architecture '${String(opts.arch)}' (one of ${ARCHS.join(', ')})`);
  }
}
