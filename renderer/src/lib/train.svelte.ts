/** The Train view's state: the form, the run's status as the back end reports it, and its pictures. */
import { archDefaults, type Arch, type DatasetInfo, type HwrApi, type RunDetails, type TrainRequest, type TrainingStatus } from '../../../app/contract.ts';
import type { AppState } from './app.svelte.ts';

export const ARCH_LABELS: Record<Arch, string> = {
  mlp: 'MLP · from-scratch engine',
  ae: 'Autoencoder · from-scratch engine',
  cnn: 'CNN · TensorFlow.js',
  tfmlp: 'MLP · TensorFlow.js',
  crnn: 'Line recogniser (CTC) · TensorFlow.js',
};

/** How far a run is, 0–1: finished epochs plus the share of the current one. */
export function runProgress(s: TrainingStatus | null): number {
  if (!s || !s.epochs) return 0;
  if (s.state === 'done') return 1;
  const last = s.history.at(-1)?.epoch ?? 0;
  const within = s.batchesPerEpoch && s.epoch > last ? Math.min(1, s.batch / s.batchesPerEpoch) : 0;
  return (last + within) / s.epochs;
}

export class TrainState {
  datasets = $state.raw<DatasetInfo[]>([]);
  form = $state<TrainRequest>({ arch: 'mlp', dataset: 'emnist36', ...archDefaults('mlp'), limit: 0, seed: 1 });
  status = $state.raw<TrainingStatus | null>(null);
  details = $state.raw<RunDetails | null>(null);
  busy = $derived(this.status?.state === 'starting' || this.status?.state === 'running' || this.status?.state === 'cancelling');
  private detailsFor = '';

  constructor(private readonly app: AppState) {
    app.api.onEvent((event) => {
      if (event.type === 'train-status') {
        this.status = event.status;
        const s = event.status;
        const key = `${s.runId}:${s.history.length}:${s.state}`;
        if (s.runId && key !== this.detailsFor && (s.history.length > 0 || s.state === 'done' || s.state === 'cancelled')) {
          this.detailsFor = key;
          void this.refreshDetails();
        }
      }
      if (event.type === 'train' && this.status?.runId === event.runId) {
        const e = event.event;
        if (e.type === 'batch') {
          const at = e.epoch - 1 + e.batch / Math.max(1, e.batches);
          this.status = {
            ...this.status,
            epoch: e.epoch,
            batch: e.batch,
            lastBatchLoss: e.loss,
            lossTrace: [...this.status.lossTrace, { at, loss: e.loss }].slice(-600),
          };
        }
      }
    });
  }

  private get api(): HwrApi {
    return this.app.api;
  }

  async load(): Promise<void> {
    try {
      const [datasets, status] = await Promise.all([this.api.listDatasets({}), this.api.trainingStatus({})]);
      this.datasets = datasets;
      this.status = status;
      if (!datasets.some((d) => d.id === this.form.dataset && d.available)) {
        const first = datasets.find((d) => d.available);
        if (first) this.form.dataset = first.id;
      }
      if (status.runId) void this.refreshDetails();
    } catch (err) {
      this.app.report(err);
    }
  }

  /** The architecture's own defaults (what `hwr train` uses). */
  chooseArch(arch: Arch): void {
    this.form = { ...this.form, arch, ...archDefaults(arch) };
  }

  async start(): Promise<void> {
    this.details = null;
    await this.act(() => this.api.startTraining({ ...this.form }));
  }

  /** "Retrain on my handwriting": fine-tunes the active classifier on the sample store (here, or on a worker of the training queue). */
  async personalize(epochs: number, onQueue = false): Promise<void> {
    this.details = null;
    await this.act(() => this.api.startPersonalization({ epochs, seed: 1, ...(onQueue ? { onQueue } : {}) }));
  }

  async cancel(): Promise<void> {
    await this.act(() => this.api.cancelTraining({}));
  }

  async resume(): Promise<void> {
    if (this.status?.runId) await this.act(() => this.api.resumeTraining({ runId: this.status!.runId! }));
  }

  async discard(): Promise<void> {
    if (!this.status?.runId) return;
    await this.act(() => this.api.discardRun({ runId: this.status!.runId! }));
    this.details = null;
    await this.app.refreshModels();
  }

  async activate(): Promise<void> {
    if (!this.status?.runId) return;
    await this.app.activate(`run:${this.status.runId}`);
    this.status = { ...this.status, activated: true };
  }

  async refreshDetails(): Promise<void> {
    const runId = this.status?.runId;
    if (!runId) return;
    try {
      const details = await this.api.runDetails({ runId });
      if (this.status?.runId === runId) this.details = details;
    } catch {
      // The pictures are a bonus; the run may just have been discarded.
    }
  }

  private async act(call: () => Promise<TrainingStatus>): Promise<void> {
    try {
      this.status = await call();
    } catch (err) {
      this.app.report(err);
    }
  }
}
