/** One entry for every training run: the engine's MLP and autoencoder, TensorFlow.js's MLP and CNN. */
import type { Arch, TrainHooks, TrainOptions, TrainResult } from './types.ts';

export const ARCHS: readonly Arch[] = ['mlp', 'ae', 'cnn', 'tfmlp'];

/** Defaults per architecture: what `hwr train --arch X` uses when an option is not given. */
export const ARCH_DEFAULTS: Record<Arch, Pick<TrainOptions, 'epochs' | 'learningRate' | 'batchSize' | 'momentum' | 'augment' | 'balance' | 'patience'>> = {
  mlp: { epochs: 40, learningRate: 0.1, batchSize: 32, momentum: 0.9, augment: true, balance: true, patience: 10 },
  ae: { epochs: 80, learningRate: 0.003, batchSize: 32, momentum: 0.9, augment: false, balance: false, patience: 10 },
  cnn: { epochs: 30, learningRate: 0.001, batchSize: 64, momentum: 0.9, augment: true, balance: true, patience: 6 },
  tfmlp: { epochs: 40, learningRate: 0.1, batchSize: 32, momentum: 0.9, augment: true, balance: true, patience: 8 },
};

export async function trainModel(opts: TrainOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  switch (opts.arch) {
    case 'mlp':
    case 'ae':
      return (await import('./engine.ts')).trainEngine(opts, hooks);
    case 'cnn':
    case 'tfmlp':
      return (await import('./tfjs/train.ts')).trainTfjs(opts, hooks);
    default:
      throw new RangeError(`unknown architecture '${String(opts.arch)}' (one of ${ARCHS.join(', ')})`);
  }
}
