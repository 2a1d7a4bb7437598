import { mkdtempSync, existsSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HwrEvent, TrainRequest } from '../contract.ts';
import type { TrainResult } from '../train/types.ts';
import { readRun } from './runs.ts';
import type { FromTrainer, ToTrainer, TrainerProcess } from './worker-protocol.ts';
import { TrainingManager } from './training.ts';

/** A training process under the test's control. */
class FakeProcess implements TrainerProcess {
  sent: ToTrainer[] = [];
  killed = false;
  private messageListener: (m: FromTrainer) => void = () => {};
  private exitListener: (code: number | null, output: string) => void = () => {};
  send(message: ToTrainer) {
    this.sent.push(message);
  }
  kill() {
    this.killed = true;
    this.exit(null);
  }
  onMessage(listener: (m: FromTrainer) => void) {
    this.messageListener = listener;
  }
  onExit(listener: (code: number | null, output: string) => void) {
    this.exitListener = listener;
  }
  emit(message: FromTrainer) {
    this.messageListener(message);
  }
  exit(code: number | null, output = '') {
    this.exitListener(code, output);
  }
}

const request: TrainRequest = {
  arch: 'mlp',
  dataset: 'emnist36',
  epochs: 3,
  learningRate: 0.1,
  batchSize: 32,
  momentum: 0.9,
  limit: 100,
  augment: false,
  balance: true,
  patience: 0,
  seed: 1,
};
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  vi.useRealTimers();
});

function setup(opts: { active?: string[]; grace?: number } = {}) {
  const runsDir = mkdtempSync(join(tmpdir(), 'hwr-runs-'));
  dirs.push(runsDir);
  const processes: FakeProcess[] = [];
  const events: HwrEvent[] = [];
  const manager = new TrainingManager({
    runsDir,
    launch: () => {
      const p = new FakeProcess();
      processes.push(p);
      return p;
    },
    resolveDataset: (d) => ({ data: `/data/${d}` }),
    emit: (e) => events.push(e),
    isActive: (id) => (opts.active ?? []).includes(id),
    unload: async () => {},
    cancelGraceMs: opts.grace ?? 5000,
  });
  return { manager, processes, events, runsDir };
}

const result = (outDir: string, cancelled: boolean): TrainResult => ({
  arch: 'mlp',
  modelPath: join(outDir, 'model.onnx'),
  outDir,
  backend: 'test',
  history: [{ epoch: 1, trainLoss: 2, validationLoss: 2.1, seconds: 1 }],
  bestEpoch: 1,
  validationAccuracy: 0.5,
  cancelled,
  seconds: 2,
  artefacts: {},
});

describe('TrainingManager', () => {
  it('starts a run in its own process with the options of the request and its own folder', () => {
    const { manager, processes, runsDir } = setup();
    const status = manager.start(request);
    expect(status.state).toBe('starting');
    expect(processes).toHaveLength(1);
    const start = processes[0]!.sent[0]!;
    expect(start.type).toBe('start');
    if (start.type !== 'start') return;
    expect(start.options).toMatchObject({ arch: 'mlp', data: '/data/emnist36', epochs: 3, limit: 100, outDir: join(runsDir, status.runId!) });
    expect(start.options.save).toBeUndefined(); // never installs over a shipped model
    expect(readRun(runsDir, status.runId!)?.state).toBe('starting');
  });

  it('follows events into the status: backend, batches, epochs, ETA', () => {
    const { manager, processes, events } = setup();
    const { runId } = manager.start(request);
    const p = processes[0]!;
    p.emit({ type: 'event', event: { type: 'start', arch: 'mlp', backend: 'wasm', epochs: 3, batchesPerEpoch: 10, trainCount: 320, validationCount: 80 } });
    p.emit({ type: 'event', event: { type: 'batch', epoch: 1, batch: 5, batches: 10, loss: 3.2 } });
    let s = manager.current();
    expect(s).toMatchObject({ state: 'running', backend: 'wasm', epoch: 1, batch: 5, lastBatchLoss: 3.2 });
    expect(s.lossTrace).toEqual([{ at: 0.5, loss: 3.2 }]);
    p.emit({
      type: 'event',
      event: { type: 'epoch', record: { epoch: 1, trainLoss: 3, validationLoss: 3.1, validationAccuracy: 0.2, seconds: 1 }, etaSeconds: 2 },
    });
    s = manager.current();
    expect(s.history.map((h) => h.epoch)).toEqual([1]);
    expect(s.etaSeconds).toBe(2);
    expect(events.some((e) => e.type === 'train' && e.runId === runId && e.event.type === 'batch')).toBe(true);
    expect(events.filter((e) => e.type === 'train-status').length).toBeGreaterThanOrEqual(2);
  });

  it('refuses a second run while one is going', () => {
    const { manager } = setup();
    manager.start(request);
    expect(() => manager.start(request)).toThrow(expect.objectContaining({ code: 'busy' }));
  });

  it('cancels by asking the process, which stops with its best model', () => {
    const { manager, processes, runsDir } = setup();
    const { runId } = manager.start(request);
    const p = processes[0]!;
    expect(manager.cancel().state).toBe('cancelling');
    expect(p.sent.at(-1)).toEqual({ type: 'cancel' });
    p.emit({ type: 'finished', result: result(join(runsDir, runId!), true) });
    p.exit(0);
    expect(manager.current().state).toBe('cancelled');
    expect(readRun(runsDir, runId!)?.state).toBe('cancelled');
    expect(p.killed).toBe(false);
  });

  it('kills a process that does not stop within the grace period (cancel mid-epoch)', () => {
    vi.useFakeTimers();
    const { manager, processes } = setup({ grace: 1000 });
    manager.start(request);
    manager.cancel();
    vi.advanceTimersByTime(999);
    expect(processes[0]!.killed).toBe(false);
    vi.advanceTimersByTime(2);
    expect(processes[0]!.killed).toBe(true);
    expect(manager.current().state).toBe('cancelled');
  });

  it('reports a crash as a failure with the last line the process wrote', () => {
    const { manager, processes } = setup();
    manager.start(request);
    processes[0]!.exit(1, 'loading...\nError: out of memory\n');
    const s = manager.current();
    expect(s.state).toBe('failed');
    expect(s.error?.message).toContain('out of memory');
  });

  it('resumes a cancelled run from its checkpoint, in the same folder', () => {
    const { manager, processes, runsDir } = setup();
    const { runId } = manager.start(request);
    const outDir = join(runsDir, runId!);
    processes[0]!.emit({ type: 'event', event: { type: 'epoch', record: { epoch: 1, trainLoss: 3, validationLoss: 3.1, seconds: 1 }, etaSeconds: 2 } });
    manager.cancel();
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'checkpoint.json'), '{}');
    processes[0]!.emit({ type: 'finished', result: result(outDir, true) });
    expect(manager.current().resumable).toBe(true);
    const resumed = manager.resume(runId!);
    expect(resumed).toMatchObject({ state: 'starting', runId });
    expect(resumed.history.map((h) => h.epoch)).toEqual([1]);
    const start = processes[1]!.sent[0]!;
    expect(start.type === 'start' && start.options.resume && start.options.outDir).toBe(outDir);
  });

  it('discards a finished run, but not one whose model is active', async () => {
    const { manager, processes, runsDir } = setup();
    const { runId } = manager.start(request);
    processes[0]!.emit({ type: 'finished', result: result(join(runsDir, runId!), false) });
    expect(manager.current().state).toBe('done');
    await manager.discard(runId!);
    expect(existsSync(join(runsDir, runId!))).toBe(false);
    expect(manager.current().state).toBe('idle');

    const second = setup({ active: [] });
    const run2 = second.manager.start(request).runId!;
    second.processes[0]!.emit({ type: 'finished', result: result(join(second.runsDir, run2), false) });
    const guarded = new TrainingManager({
      runsDir: second.runsDir,
      launch: () => new FakeProcess(),
      resolveDataset: (d) => ({ data: d }),
      emit: () => {},
      isActive: () => true,
      unload: async () => {},
    });
    await expect(guarded.discard(run2)).rejects.toMatchObject({ code: 'busy' });
  });
});

describe('TrainingManager after an interruption', () => {
  /** A run started in `runsDir` whose process and app then died after epoch 1, leaving its record 'starting'. */
  function leftRunning(runsDir: string, checkpoint: boolean, owner = { pid: 2 ** 22 + 17, started: 1 }) {
    const processes: FakeProcess[] = [];
    const manager = new TrainingManager({
      runsDir,
      launch: () => (processes.push(new FakeProcess()), processes.at(-1)!),
      resolveDataset: (d) => ({ data: d }),
      emit: () => {},
      isActive: () => false,
      unload: async () => {},
    });
    const { runId } = manager.start(request);
    const outDir = join(runsDir, runId!);
    processes[0]!.emit({ type: 'event', event: { type: 'epoch', record: { epoch: 1, trainLoss: 3, validationLoss: 3.1, seconds: 1 }, etaSeconds: 2 } });
    if (checkpoint) writeFileSync(join(outDir, 'checkpoint.json'), '{}');
    // The app dies with the run going: its record still says 'starting', owned by a process that is gone.
    const record = readRun(runsDir, runId!)!;
    writeFileSync(join(outDir, 'run.json'), JSON.stringify({ ...record, owner }));
    return runId!;
  }

  it('marks the run failed on the next start and offers to resume it from its checkpoint', () => {
    const { runsDir } = setup();
    const runId = leftRunning(runsDir, true);
    const events: HwrEvent[] = [];
    const processes: FakeProcess[] = [];
    const next = new TrainingManager({
      runsDir,
      launch: () => (processes.push(new FakeProcess()), processes.at(-1)!),
      resolveDataset: (d) => ({ data: d }),
      emit: (e) => events.push(e),
      isActive: () => false,
      unload: async () => {},
      isAlive: () => false,
    });
    const status = next.current();
    expect(status).toMatchObject({ state: 'failed', runId, resumable: true });
    expect(status.error?.message).toMatch(/interrupted: the app stopped during epoch 2 of 3/);
    expect(readRun(runsDir, runId)?.state).toBe('failed');
    next.resume(runId);
    const start = processes[0]!.sent[0]!;
    expect(start.type === 'start' && start.options.resume).toBe(true);
  });

  it('leaves alone a run another living process follows', () => {
    const { runsDir } = setup();
    leftRunning(runsDir, true);
    const next = new TrainingManager({
      runsDir,
      launch: () => new FakeProcess(),
      resolveDataset: (d) => ({ data: d }),
      emit: () => {},
      isActive: () => false,
      unload: async () => {},
      isAlive: () => true,
    });
    expect(next.current().state).toBe('idle');
  });

  it('offers no resume when no epoch finished', () => {
    const { runsDir } = setup();
    leftRunning(runsDir, false);
    const next = new TrainingManager({
      runsDir,
      launch: () => new FakeProcess(),
      resolveDataset: (d) => ({ data: d }),
      emit: () => {},
      isActive: () => false,
      unload: async () => {},
      isAlive: () => false,
    });
    expect(next.current()).toMatchObject({ state: 'failed', resumable: false });
  });
});

describe('TrainingManager retraining on samples', () => {
  const ctx = { modelPath: '/models/mlp.onnx', modelId: 'shipped:mlp', arch: 'mlp' as const, baseData: '/data/emnist36', samplesDir: '/home/samples' };

  it('sends the retraining to the worker, records its verdict and hands the record to onFinished', () => {
    const { runsDir } = setup();
    const finished: string[] = [];
    const processes: FakeProcess[] = [];
    const manager = new TrainingManager({
      runsDir,
      launch: () => (processes.push(new FakeProcess()), processes.at(-1)!),
      resolveDataset: (d) => ({ data: d }),
      emit: () => {},
      isActive: () => false,
      unload: async () => {},
      onFinished: (r) => finished.push(`${r.kind}:${r.state}:${r.personalization?.improved}`),
    });
    const status = manager.startPersonalization({ epochs: 4, seed: 2 }, ctx);
    expect(status).toMatchObject({ kind: 'personalize', state: 'starting', epochs: 4 });
    const sent = processes[0]!.sent[0]!;
    expect(sent).toMatchObject({
      type: 'personalize',
      samplesDir: '/home/samples',
      options: { modelPath: '/models/mlp.onnx', modelId: 'shipped:mlp', epochs: 4, seed: 2, outDir: join(runsDir, status.runId!) },
    });
    const report = {
      baseModel: 'shipped:mlp',
      userTrain: 30,
      userHeldOut: 20,
      baseValidation: 100,
      before: { user: 0.3, base: 0.8 },
      after: { user: 0.5, base: 0.8 },
      blend: 0.5,
      improved: true,
      maxBaseDrop: 0.01,
      verdict: 'better',
    };
    processes[0]!.emit({ type: 'finished', result: result(join(runsDir, status.runId!), false), personalization: report });
    expect(manager.current()).toMatchObject({ state: 'done', kind: 'personalize', personalization: report });
    expect(readRun(runsDir, status.runId!)?.personalization).toEqual(report);
    expect(finished).toEqual(['personalize:done:true']);
  });

  it('resumes a retraining as a retraining', () => {
    const { runsDir } = setup();
    const processes: FakeProcess[] = [];
    const manager = new TrainingManager({
      runsDir,
      launch: () => (processes.push(new FakeProcess()), processes.at(-1)!),
      resolveDataset: (d) => ({ data: d }),
      emit: () => {},
      isActive: () => false,
      unload: async () => {},
    });
    const { runId } = manager.startPersonalization({ epochs: 4, seed: 2 }, ctx);
    processes[0]!.emit({ type: 'event', event: { type: 'epoch', record: { epoch: 1, trainLoss: 3, validationLoss: 3.1, seconds: 1 }, etaSeconds: 2 } });
    mkdirSync(join(runsDir, runId!, 'checkpoint'), { recursive: true });
    writeFileSync(join(runsDir, runId!, 'checkpoint', 'last.ckpt'), 'x'); // a TensorFlow.js checkpoint counts too
    processes[0]!.exit(null);
    expect(manager.current()).toMatchObject({ state: 'failed', resumable: true });
    manager.resume(runId!);
    expect(processes[1]!.sent[0]).toMatchObject({ type: 'personalize', options: { resume: true, modelId: 'shipped:mlp' } });
  });
});
