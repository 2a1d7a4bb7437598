/**
 * The app's worker processes and the messages they exchange with it: training, and reading
 * pages. Both run outside the process that serves the UI (a Node child under `hwr serve`, an
 * Electron utilityProcess in the desktop app), so the window and the server stay responsive
 * however long a run or however large a photo.
 */
import type { ErrorCode, PageReader, PersonalizationReport } from '../contract.ts';
import type { Page } from '../recognize/document.ts';
import type { PersonalizeOptions } from '../train/personalize.ts';
import type { TrainEvent, TrainOptions, TrainResult } from '../train/types.ts';

export type ToTrainer =
  | { type: 'start'; options: TrainOptions }
  /** Retrain the model on the samples in samplesDir (read by the worker; not needed to resume). */
  | { type: 'personalize'; options: PersonalizeOptions; samplesDir: string; queue?: string }
  | { type: 'cancel' };

export type FromTrainer =
  | { type: 'event'; event: TrainEvent }
  | { type: 'finished'; result: TrainResult; personalization?: PersonalizationReport }
  | { type: 'failed'; message: string };

export type ToRecognizer = {
  type: 'recognize';
  id: number;
  name: string;
  image: Uint8Array;
  modelPath: string;
  reader?: PageReader;
  lineModelPath?: string;
  /** The sheet's corners as the user placed them (none: no sheet). */
  sheet?: { x: number; y: number }[];
};

export type FromRecognizer =
  | { type: 'progress'; id: number; stage: string; fraction: number }
  /**
   * The page, and the 32×32 crop the classifier saw for each of its glyphs in reading order; `view`:
   * the image as read (JPEG), where it is not the image as given (a sheet flattened, a page turned).
   */
  | { type: 'page'; id: number; page: Page; crops: Float32Array; view?: Uint8Array }
  | { type: 'error'; id: number; code: ErrorCode; message: string };

export interface ToWorker {
  train: ToTrainer;
  recognize: ToRecognizer;
}

export interface FromWorker {
  train: FromTrainer;
  recognize: FromRecognizer;
}

export type WorkerKind = keyof ToWorker;

/** The app's handle on one worker process. */
export interface WorkerProcess<In, Out> {
  /** The operating system's id of the process, where known. */
  readonly pid?: number;
  send(message: In): void;
  /** Ends the process now. */
  kill(): void;
  onMessage(listener: (message: Out) => void): void;
  /** Called once when the process has ended; `output` is the tail of its stderr, for error messages. */
  onExit(listener: (code: number | null, output: string) => void): void;
}

export type LaunchWorker = <K extends WorkerKind>(kind: K) => WorkerProcess<ToWorker[K], FromWorker[K]>;

export type TrainerProcess = WorkerProcess<ToTrainer, FromTrainer>;
export type LaunchTrainer = () => TrainerProcess;

/** The worker's side of the channel. */
export interface WorkerPort<In, Out> {
  onMessage(listener: (message: In) => void): void;
  post(message: Out): void;
  exit(code: number): void;
}
