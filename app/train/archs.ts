/** The model kinds `hwr train` knows, and what each uses when an option is not given. */
import type { Arch, TrainOptions } from './types.ts';

export const ARCHS: readonly Arch[] = ['mlp', 'ae', 'cnn', 'tfmlp'];

/** Hidden units of the course MLP, the same whichever trainer builds it (mlp, tfmlp). */
export const MLP_HIDDEN = 64;

/** Defaults per architecture: what `hwr train --arch X` uses when an option is not given. */
export const ARCH_DEFAULTS: Record<Arch, Pick<TrainOptions, 'epochs' | 'learningRate' | 'batchSize' | 'momentum' | 'augment' | 'balance' | 'patience'>> = {
  mlp: { epochs: 40, learningRate: 0.1, batchSize: 32, momentum: 0.9, augment: true, balance: true, patience: 10 },
  ae: { epochs: 80, learningRate: 0.003, batchSize: 32, momentum: 0.9, augment: false, balance: false, patience: 10 },
  cnn: { epochs: 30, learningRate: 0.001, batchSize: 64, momentum: 0.9, augment: true, balance: true, patience: 6 },
  tfmlp: { epochs: 40, learningRate: 0.1, batchSize: 32, momentum: 0.9, augment: true, balance: true, patience: 8 },
};
