/**
 * Messages between the app and its training process (a Node child process under `hwr serve`, an
 * Electron utilityProcess in the desktop app). Training runs there so the window and the server
 * stay responsive; cancelling kills the process if it does not stop by itself in time.
 */
import type { TrainEvent, TrainOptions, TrainResult } from '../train/types.ts';

export type ToTrainer = { type: 'start'; options: TrainOptions } | { type: 'cancel' };

export type FromTrainer =
  | { type: 'event'; event: TrainEvent }
  | { type: 'finished'; result: TrainResult }
  | { type: 'failed'; message: string };

/** The app's handle on one training process. */
export interface TrainerProcess {
  send(message: ToTrainer): void;
  /** Ends the process now. */
  kill(): void;
  onMessage(listener: (message: FromTrainer) => void): void;
  /** Called once when the process has ended; `output` is the tail of its stderr, for error messages. */
  onExit(listener: (code: number | null, output: string) => void): void;
}

export type LaunchTrainer = () => TrainerProcess;
