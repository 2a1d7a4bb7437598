/**
 * What a training run takes, for every architecture and every front end (the CLI, the app's
 * training process). What it reports (events, results) crosses the UI boundary and so lives in
 * the contract.
 */
import type { Arch, TrainEvent } from '../contract.ts';

export type { Arch, EpochRecord, TrainEvent, TrainResult } from '../contract.ts';

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
  /** CNN: multiplier of the convolution filter counts (1 = 16, 32, 64); line model: of its 1-D convolutions' (1 = 192). */
  width?: number;
  /** Line model: how many 1-D convolutions read along the line (default 3). */
  depth?: number;
  /** Line model: synthetic lines per epoch as a share of the real training lines (default 0.25; 0 = none). */
  synthetic?: number;
  /** Line model: share of the synthetic lines in block capitals (default 0.33). */
  capitals?: number;
  /**
   * TensorFlow.js trainer: per-class accuracy floor for decision offsets (app/train/tfjs/decision.ts):
   * classes below it on validation get an offset towards an even split with their look-alike
   * (default 0.7; 0 = none).
   */
  floor?: number;
  /** The command line that started the run, recorded in the model card. */
  command?: string;
}

export interface TrainHooks {
  onEvent?(event: TrainEvent): void;
  /** Cancel between batches; the last good model stays in place. */
  signal?: AbortSignal;
}
