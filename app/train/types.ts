/**
 * What a training run takes and reports, for every architecture (engine MLP/autoencoder,
 * TensorFlow.js MLP/CNN) and every front end (the CLI, the app's training process).
 */
export type Arch = 'mlp' | 'ae' | 'tfmlp' | 'cnn';

export interface TrainOptions {
  arch: Arch;
  /** Dataset path (see app/data/index.ts loadDataset); default: the EMNIST pool in ../shared/data. */
  data?: string;
  /** Labels file for IDX images. */
  labels?: string;
  epochs: number;
  learningRate: number;
  batchSize: number;
  momentum: number;
  /** Folder for the run's artefacts (model, curves, pictures, card). */
  outDir: string;
  seed: number;
  augment: boolean;
  /** Balance classes (the pool is digit-heavy). */
  balance: boolean;
  /** Stop after this many epochs without validation improvement (0 = never). */
  patience: number;
  /** Use at most this many training images (0 = all): quick runs and tests. */
  limit: number;
  /** Fine-tune from this ONNX model (new output layer when the classes differ). */
  initFrom?: string;
  /** With initFrom: keep the feature layers fixed. */
  freezeFeatures?: boolean;
  /** Continue from the checkpoint in outDir if there is one. */
  resume?: boolean;
  /** Also install the best model here (e.g. models/mlp.onnx) with its model card beside it. */
  save?: string;
  /** CNN: multiplier of the convolution filter counts (1 = 16, 32, 64). */
  width?: number;
  /**
   * TensorFlow.js trainer: per-class accuracy floor for decision offsets (app/train/tfjs/decision.ts):
   * classes below it on validation get an offset towards an even split with their look-alike
   * (default 0.7; 0 = none).
   */
  floor?: number;
  /** The command line that started the run, recorded in the model card. */
  command?: string;
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy?: number;
  validationLoss: number;
  validationAccuracy?: number;
  /** autoencoder: mean validation PSNR in dB */
  validationPsnr?: number;
  seconds: number;
}

export type TrainEvent =
  | { type: 'start'; arch: Arch; backend: string; epochs: number; batchesPerEpoch: number; trainCount: number; validationCount: number }
  | { type: 'batch'; epoch: number; batch: number; batches: number; loss: number }
  | { type: 'epoch'; record: EpochRecord; etaSeconds: number }
  | { type: 'log'; message: string }
  | { type: 'done'; result: TrainResult };

export interface TrainResult {
  arch: Arch;
  modelPath: string;
  outDir: string;
  backend: string;
  history: EpochRecord[];
  bestEpoch: number;
  /** classifiers: validation accuracy of the best epoch; autoencoder: its PSNR */
  validationAccuracy?: number;
  validationPsnr?: number;
  cancelled: boolean;
  seconds: number;
  /** Pictures and reports written, by role: curves, confusion, weights, reconstructions, card. */
  artefacts: Record<string, string>;
}

export interface TrainHooks {
  onEvent?(event: TrainEvent): void;
  /** Cancel between batches; the last good model stays in place. */
  signal?: AbortSignal;
}
