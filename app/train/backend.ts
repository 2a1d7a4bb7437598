/**
 * What a model kind supplies to the one training loop (fit.ts): build it, train an epoch over
 * the images fit orders, evaluate, give and take its state as plain arrays (checkpoints, exact
 * resume), write its model, and finish with its own artefacts and card lines.
 */
import type { CardFacts } from './card.ts';
import type { RunKey } from './checkpoint.ts';
import type { ScheduleKind } from './schedule.ts';
import type { EpochRecord } from './types.ts';

/** A backend's state as plain arrays: what a checkpoint holds and a resume restores. */
export interface BackendState {
  /** The model's parameters, flat. */
  weights: Float32Array;
  /** Optimiser state (velocity, moments): whatever else continuing exactly needs. */
  arrays: Record<string, Float32Array>;
  scalars: Record<string, number>;
}

/** One epoch as fit asks a backend to train it. */
export interface EpochPlan {
  epoch: number;
  learningRate: number;
  /** Positions into the training images (0 … trainCount−1), in the order to train them. */
  order: Int32Array;
  /** Augmentation and dropout seeds derive from it, the epoch and the batch. */
  seed: number;
  signal?: AbortSignal;
  onBatch(batch: number, batches: number, loss: number): void;
}

export interface Evaluation {
  /** Selects the best epoch: larger is better. */
  score: number;
  validationLoss: number;
  /** The rest of the epoch's record: accuracies, PSNR, and what the backend adds. */
  record: Omit<Partial<EpochRecord>, 'epoch' | 'trainLoss' | 'validationLoss' | 'seconds'> & Record<string, number | undefined>;
}

/** What fit knows at the end, for the backend's artefacts and card. */
export interface FitSummary {
  history: FitRecord[];
  /** The best epoch's weights, already restored into the backend. */
  bestWeights: Float32Array;
  /** The run as the model card tells it. */
  run: CardFacts['run'];
  modelPath: string;
  log(message: string): void;
}

export interface Finished {
  artefacts: Record<string, string>;
  validationAccuracy?: number;
  validationPsnr?: number;
  /** The model card (markdown), written to `cardName` in the run folder and beside --save. */
  card: string;
}

export interface TrainBackend {
  /** What ran: the library, kernels, threads (logs, the 'start' event, the card). */
  readonly label: string;
  readonly schedule: ScheduleKind;
  /** Labels of the training images, by position: the sampler balances over them. */
  readonly trainLabels: Int32Array;
  readonly classCount: number;
  /** Whether epochs draw classes equally often (classifiers with --balance). */
  readonly balanced: boolean;
  readonly validationCount: number;
  readonly batchSize: number;
  /** What of the model and data must match for a resume (the network, classes, dataset). */
  readonly run: RunKey;
  /** File name of the card in the run folder. */
  readonly cardName: string;
  /** Trains one epoch; the mean training loss, or null when cancelled before its end. */
  trainEpoch(plan: EpochPlan): Promise<number | null>;
  evaluate(): Promise<Evaluation>;
  state(): BackendState;
  restore(state: BackendState): void;
  /** Writes `weights` as the run's model (the best so far, while training). */
  writeModel(path: string, weights: Float32Array): void;
  /** After the loop, with the best weights restored: final model, pictures, card. */
  finish(summary: FitSummary): Promise<Finished>;
  close(): Promise<void>;
}

/** An epoch's record as fit writes it: the contract's, plus what the backend reports and the rate. */
export type FitRecord = EpochRecord & Record<string, number | undefined> & { learningRate: number };
