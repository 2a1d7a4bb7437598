/**
 * One training run at a time, in its own process: starts it (a training run, or a retraining on
 * the user's samples), follows its events into a TrainingStatus the UI can draw from at any
 * moment, cancels it (asking first, then killing), resumes a cancelled or interrupted run from its
 * checkpoint, and discards runs. A run writes only into its own folder; which model is active is
 * decided elsewhere (by the user, or by `onFinished` for a retraining that proved better).
 *
 * A run whose record still says it is going when the manager starts was interrupted (the app or
 * the machine stopped): it is marked failed and, when it has a checkpoint, offered for resuming.
 */
import { processAlive } from './home.ts';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ContractError, type HwrEvent, type PersonalizationReport, type PersonalizeRequest, type TrainRequest, type TrainingStatus } from '../contract.ts';
import type { PersonalizeOptions } from '../train/personalize.ts';
import type { Arch, TrainEvent, TrainOptions, TrainResult } from '../train/types.ts';
import { listRuns, newRunId, readRun, writeRun, type RunRecord } from './runs.ts';
import type { FromTrainer, LaunchTrainer, ToTrainer, TrainerProcess } from './worker-protocol.ts';

/** What a retraining run needs besides the request: the model to fine-tune and the data. */
export interface PersonalizeContext {
  modelPath: string;
  modelId: string;
  arch: Arch;
  baseData: string;
  samplesDir: string;
  /** Train on a worker of the queue on this Redis (the data and the model go there; the judging stays here). */
  queue?: string;
}

export interface TrainingDeps {
  runsDir: string;
  launch: LaunchTrainer;
  /** A dataset id or path → what trainModel reads. */
  resolveDataset(dataset: string): { data: string; labels?: string };
  emit(event: HwrEvent): void;
  /** Whether a run's model is the active model of its kind (such a run cannot be discarded). */
  isActive(runId: string): boolean;
  /** Closes the run's model if it is loaded (before its folder is deleted). */
  unload(runId: string): Promise<void>;
  /** How long a cancelled run may take to stop by itself before its process is killed. */
  cancelGraceMs?: number;
  /** Called when a run has ended and its record is written (before the final status goes out). */
  onFinished?(record: RunRecord): void;
  /** Whether a process still runs (default: signal 0); decides whether a 'running' record was interrupted. */
  isAlive?(pid: number): boolean;
}

/** Loss points kept for the live batch curve (older ones are thinned). */
const TRACE_POINTS = 400;

export function idleStatus(): TrainingStatus {
  return {
    state: 'idle',
    kind: 'train',
    runId: null,
    request: null,
    backend: null,
    epochs: 0,
    batchesPerEpoch: 0,
    trainCount: 0,
    validationCount: 0,
    history: [],
    lossTrace: [],
    epoch: 0,
    batch: 0,
    lastBatchLoss: null,
    etaSeconds: null,
    startedAt: null,
    result: null,
    error: null,
    resumable: false,
    activated: false,
    personalization: null,
  };
}

export class TrainingManager {
  private status: TrainingStatus = idleStatus();
  private record: RunRecord | null = null;
  private process: TrainerProcess | null = null;
  private killTimer: ReturnType<typeof setTimeout> | null = null;
  /** Wall-clock start of the current process and the epoch it began at, for the ETA. */
  private segment = { startedMs: 0, firstEpoch: 1 };

  constructor(private readonly deps: TrainingDeps) {
    this.recoverInterrupted();
  }

  current(): TrainingStatus {
    return { ...this.status, activated: this.status.runId ? this.deps.isActive(`run:${this.status.runId}`) : false };
  }

  get busy(): boolean {
    return this.status.state === 'starting' || this.status.state === 'running' || this.status.state === 'cancelling';
  }

  start(request: TrainRequest): TrainingStatus {
    this.refuseIfBusy();
    const runId = newRunId();
    const { data, labels } = this.deps.resolveDataset(request.dataset);
    const options: TrainOptions = {
      arch: request.arch,
      data,
      ...(labels ? { labels } : {}),
      epochs: request.epochs,
      learningRate: request.learningRate,
      batchSize: request.batchSize,
      momentum: request.momentum,
      outDir: join(this.deps.runsDir, runId),
      seed: request.seed,
      augment: request.augment,
      balance: request.balance,
      patience: request.patience,
      limit: request.limit,
      command:
        `hwr app: ${request.arch}, ${request.epochs} epochs, lr ${request.learningRate}, batch ${request.batchSize}, momentum ${request.momentum}` +
        `${request.limit ? `, limit ${request.limit}` : ''}${request.augment ? ', augmented' : ''}${request.balance ? ', balanced' : ''}`,
    };
    const record: RunRecord = { runId, kind: 'train', request, options, state: 'starting', startedAt: new Date().toISOString(), history: [] };
    this.launch(record, { type: 'start', options });
    return this.current();
  }

  /** Fine-tunes the active classifier on the user's samples mixed with base data (app/train/personalize.ts). */
  startPersonalization(request: PersonalizeRequest, ctx: PersonalizeContext): TrainingStatus {
    this.refuseIfBusy();
    const runId = newRunId();
    const outDir = join(this.deps.runsDir, runId);
    const personalize: PersonalizeOptions = {
      modelPath: ctx.modelPath,
      modelId: ctx.modelId,
      baseData: ctx.baseData,
      outDir,
      epochs: request.epochs,
      seed: request.seed,
      command: `hwr app: retrain ${ctx.modelId} on my handwriting, ${request.epochs} epochs, seed ${request.seed}`,
    };
    // What the Train view shows of the run; the worker derives the same from `personalize`.
    const trainRequest: TrainRequest = {
      arch: ctx.arch,
      dataset: 'samples',
      epochs: request.epochs,
      learningRate: 0,
      batchSize: 0,
      momentum: 0.9,
      limit: 0,
      augment: true,
      balance: true,
      patience: 0,
      seed: request.seed,
    };
    const options: TrainOptions = { ...trainRequest, data: join(outDir, 'data', 'train'), initFrom: ctx.modelPath, outDir, command: personalize.command };
    const record: RunRecord = {
      runId,
      kind: 'personalize',
      request: trainRequest,
      options,
      personalize: { options: personalize, samplesDir: ctx.samplesDir, ...(ctx.queue ? { queue: ctx.queue } : {}) },
      state: 'starting',
      startedAt: new Date().toISOString(),
      history: [],
    };
    this.launch(record, { type: 'personalize', options: personalize, samplesDir: ctx.samplesDir, ...(ctx.queue ? { queue: ctx.queue } : {}) });
    return this.current();
  }

  resume(runId: string): TrainingStatus {
    this.refuseIfBusy();
    const record = readRun(this.deps.runsDir, runId);
    if (!record) throw new ContractError('not-found', `no training run '${runId}'`);
    if (!this.canResume(record))
      throw new ContractError('invalid-request', `run ${runId} cannot be resumed: it ${record.state === 'done' ? 'has finished' : 'has no checkpoint yet'}`);
    const next: RunRecord = { ...record, state: 'starting', error: undefined, result: undefined, finishedAt: undefined, personalization: undefined };
    this.launch(
      next,
      record.kind === 'personalize' && record.personalize
        ? { ...record.personalize, type: 'personalize', options: { ...record.personalize.options, resume: true } }
        : { type: 'start', options: { ...record.options, resume: true } },
    );
    return this.current();
  }

  cancel(): TrainingStatus {
    if (!this.busy || !this.process) throw new ContractError('invalid-request', 'no training run is going');
    if (this.status.state !== 'cancelling') {
      this.update({ state: 'cancelling' });
      this.process.send({ type: 'cancel' });
      const proc = this.process;
      // A run on a queue worker brings its model back after its batch: it gets the time of a few round trips more.
      const grace = (this.deps.cancelGraceMs ?? 5000) * (this.record?.personalize?.queue ? 6 : 1);
      this.killTimer = setTimeout(() => {
        this.log('warn', 'the training process did not stop in time; ending it (the best model so far stays on disk)');
        proc.kill();
      }, grace);
    }
    return this.current();
  }

  async discard(runId: string): Promise<TrainingStatus> {
    if (this.busy && this.status.runId === runId) throw new ContractError('busy', 'cancel the run before discarding it');
    if (this.deps.isActive(`run:${runId}`)) throw new ContractError('busy', `run ${runId} holds the active model: activate another model first`);
    if (!readRun(this.deps.runsDir, runId)) throw new ContractError('not-found', `no training run '${runId}'`);
    await this.deps.unload(`run:${runId}`);
    rmSync(join(this.deps.runsDir, runId), { recursive: true, force: true });
    this.log('info', `discarded training run ${runId}`);
    if (this.status.runId === runId) {
      this.status = idleStatus();
      this.record = null;
      this.deps.emit({ type: 'train-status', status: this.current() });
    }
    return this.current();
  }

  /** Ends a running process (server shutdown). */
  close(): void {
    this.process?.kill();
    this.process = null;
    if (this.killTimer) clearTimeout(this.killTimer);
  }

  private refuseIfBusy(): void {
    if (this.busy) throw new ContractError('busy', `a training run (${this.status.runId}) is going: cancel it first`);
  }

  private canResume(record: RunRecord): boolean {
    if (record.state !== 'cancelled' && record.state !== 'failed') return false;
    // The engine's checkpoint, or TensorFlow.js's.
    const outDir = record.options.outDir;
    if (!existsSync(join(outDir, 'checkpoint.json')) && !existsSync(join(outDir, 'checkpoint', 'last.ckpt'))) return false;
    const last = record.history.at(-1)?.epoch ?? 0;
    return last < record.options.epochs;
  }

  /** The newest run, if its record says it is going but no process follows it any more, becomes a failed (resumable) run. */
  private recoverInterrupted(): void {
    const newest = listRuns(this.deps.runsDir)[0];
    if (!newest || !['starting', 'running', 'cancelling'].includes(newest.state)) return;
    const alive = this.deps.isAlive ?? processAlive;
    const owner = newest.owner;
    if (owner && (owner.pid === process.pid ? owner.started === PROCESS_STARTED : alive(owner.pid))) return;
    const last = newest.history.at(-1)?.epoch ?? 0;
    const record: RunRecord = {
      ...newest,
      state: 'failed',
      finishedAt: new Date().toISOString(),
      error: {
        code: 'internal',
        message:
          `interrupted: the app stopped during epoch ${last + 1} of ${newest.options.epochs}. ` +
          'The active model is unchanged; resume to continue from the last finished epoch',
      },
    };
    writeRun(this.deps.runsDir, record);
    this.record = record;
    this.status = { ...this.statusOf(record), state: 'failed', error: record.error!, resumable: this.canResume(record) };
  }

  private statusOf(record: RunRecord): TrainingStatus {
    return {
      ...idleStatus(),
      kind: record.kind ?? 'train',
      runId: record.runId,
      request: record.request,
      history: [...record.history],
      epochs: record.options.epochs,
      startedAt: record.startedAt,
      personalization: record.personalization ?? null,
    };
  }

  private launch(record: RunRecord, message: ToTrainer): void {
    record.owner = { pid: process.pid, started: PROCESS_STARTED };
    this.record = record;
    writeRun(this.deps.runsDir, record);
    const last = record.history.at(-1)?.epoch ?? 0;
    this.segment = { startedMs: Date.now(), firstEpoch: last + 1 };
    this.status = { ...this.statusOf(record), state: 'starting' };
    const proc = this.deps.launch();
    this.process = proc;
    let ended = false;
    proc.onMessage((message) => {
      if (this.process === proc) this.onMessage(message);
    });
    proc.onExit((code, output) => {
      if (ended) return;
      ended = true;
      if (this.process !== proc) return;
      this.process = null;
      if (this.killTimer) clearTimeout(this.killTimer);
      this.killTimer = null;
      if (this.busy) {
        // Ended without a word: killed after a cancel, or crashed.
        if (this.status.state === 'cancelling') this.finish('cancelled');
        else this.finish('failed', { code: 'internal', message: `the training process ended unexpectedly (exit code ${code})${lastLine(output)}` });
      }
    });
    proc.send(message);
    const resumed = message.type !== 'cancel' && message.options.resume;
    const what = record.kind === 'personalize' ? 'retraining on your samples' : 'training run';
    this.log('info', `${what} ${record.runId} started (${record.options.arch}, ${record.options.epochs} epochs${resumed ? ', resumed' : ''})`);
    this.deps.emit({ type: 'train-status', status: this.current() });
  }

  private onMessage(message: FromTrainer): void {
    switch (message.type) {
      case 'event':
        this.onTrainEvent(message.event);
        break;
      case 'finished':
        this.onResult(message.result, message.personalization);
        break;
      case 'failed':
        if (this.status.state === 'cancelling') this.finish('cancelled');
        else this.finish('failed', { code: 'internal', message: message.message });
        break;
    }
  }

  private onTrainEvent(event: TrainEvent): void {
    const runId = this.status.runId!;
    const s = this.status;
    switch (event.type) {
      case 'start':
        Object.assign(s, {
          state: s.state === 'cancelling' ? 'cancelling' : 'running',
          backend: event.backend,
          epochs: event.epochs,
          batchesPerEpoch: event.batchesPerEpoch,
          trainCount: event.trainCount,
          validationCount: event.validationCount,
        });
        if (this.record) this.record.backend = event.backend;
        break;
      case 'batch': {
        s.epoch = event.epoch;
        s.batch = event.batch;
        s.lastBatchLoss = event.loss;
        const at = event.epoch - 1 + event.batch / Math.max(1, event.batches);
        s.lossTrace = thin([...s.lossTrace, { at, loss: event.loss }]);
        const span = s.epochs - this.segment.firstEpoch + 1;
        const done = (at - (this.segment.firstEpoch - 1)) / Math.max(1, span);
        const elapsed = (Date.now() - this.segment.startedMs) / 1000;
        s.etaSeconds = done > 0.005 ? (elapsed * (1 - done)) / done : null;
        break;
      }
      case 'epoch':
        s.history = [...s.history.filter((h) => h.epoch < event.record.epoch), event.record];
        s.etaSeconds = event.etaSeconds;
        if (this.record) {
          this.record.history = s.history;
          writeRun(this.deps.runsDir, this.record);
        }
        break;
      case 'log':
        this.log('info', event.message);
        break;
      case 'done':
        break;
    }
    this.deps.emit({ type: 'train', runId, event });
    if (event.type === 'start' || event.type === 'epoch') this.deps.emit({ type: 'train-status', status: this.current() });
  }

  private onResult(result: TrainResult, personalization?: PersonalizationReport): void {
    this.status.result = result;
    if (personalization) this.status.personalization = personalization;
    this.status.history = result.history.length >= this.status.history.length ? result.history : this.status.history;
    this.finish(result.cancelled || this.status.state === 'cancelling' ? 'cancelled' : 'done');
  }

  private finish(state: 'done' | 'cancelled' | 'failed', error?: { code: 'internal'; message: string }): void {
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killTimer = null;
    this.status.state = state;
    this.status.error = error ?? null;
    this.status.etaSeconds = null;
    if (this.record) {
      Object.assign(this.record, { state, finishedAt: new Date().toISOString(), history: this.status.history });
      if (this.status.result) this.record.result = this.status.result;
      if (this.status.personalization) this.record.personalization = this.status.personalization;
      if (error) this.record.error = error;
      writeRun(this.deps.runsDir, this.record);
      this.status.resumable = this.canResume(this.record);
    }
    if (state === 'failed') this.log('error', `training failed: ${error?.message}`);
    else if (this.status.kind === 'personalize')
      this.log(
        'info',
        `retraining ${this.status.runId} ${state === 'done' ? 'finished' : 'cancelled'}: ${this.status.personalization?.verdict ?? 'no verdict'}`,
      );
    else
      this.log(
        'info',
        `training run ${this.status.runId} ${state === 'done' ? 'finished' : 'cancelled'}; the active model is unchanged until you activate this one`,
      );
    if (this.record) {
      try {
        this.deps.onFinished?.(this.record);
      } catch (err) {
        this.log('error', `after run ${this.record.runId}: ${(err as Error).message}`);
      }
    }
    this.deps.emit({ type: 'train-status', status: this.current() });
  }

  private update(patch: Partial<TrainingStatus>): void {
    Object.assign(this.status, patch);
    this.deps.emit({ type: 'train-status', status: this.current() });
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.deps.emit({ type: 'log', level, message, time: new Date().toISOString() });
  }
}

/** When this process started (ms): with the pid, tells this process from an earlier one that had the same pid. */
const PROCESS_STARTED = Math.round(Date.now() - process.uptime() * 1000);

/** Keeps the trace under TRACE_POINTS by dropping every other point of the older half. */
function thin<T>(points: T[]): T[] {
  if (points.length <= TRACE_POINTS) return points;
  const half = Math.floor(points.length / 2);
  return [...points.slice(0, half).filter((_, i) => i % 2 === 0), ...points.slice(half)];
}

function lastLine(output: string): string {
  const line = output.trim().split('\n').filter(Boolean).at(-1);
  return line ? `: ${line.slice(0, 300)}` : '';
}
