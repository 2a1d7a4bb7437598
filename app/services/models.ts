/**
 * The models the app can use: the shipped ones in models/ and those of finished training runs,
 * which one of each kind is active (kept in settings.json), and the loaded ONNX sessions.
 * Activating is the only way the active model changes: a training run never replaces it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ContractError, type EpochRecord, type ModelFigures, type ModelInfo, type ModelKind, type ModelList } from '../contract.ts';
import { RECOGNIZER_FILES, AUTOENCODER_FILE } from '../base/model-files.ts';
import { OnnxModel } from '../onnx/runtime.ts';
import { readOnnxInfo } from '../onnx/import.ts';
import type { OnnxInfo } from '../onnx/format.ts';
import { VARIABLE } from '../onnx/shapes.ts';
import type { HomeLayout } from './home.ts';
import { listRuns, runModelPath } from './runs.ts';
import { readSettings, writeSettings } from './settings.ts';

type ModelEntry = Omit<ModelInfo, 'active'>;

export class ModelRegistry {
  private readonly loaded = new Map<string, { version: string; model: Promise<OnnxModel> }>();

  constructor(
    private readonly modelsDir: string,
    private readonly home: HomeLayout,
  ) {}

  list(): ModelList {
    const entries = this.entries();
    const settings = readSettings(this.home.settings);
    const active = this.activeIds(entries, settings.active);
    const previous = (kind: ModelKind) => {
      const id = settings.previous[kind];
      return id && id !== active[kind] && entries.some((e) => e.id === id && e.kind === kind) ? id : null;
    };
    return {
      models: entries.map((e) => ({ ...e, active: active[e.kind] === e.id })),
      active,
      previous: { classifier: previous('classifier'), autoencoder: previous('autoencoder') },
    };
  }

  /** Makes a model the active one of its kind; the one it replaces becomes `previous`. */
  activate(id: string): ModelList {
    const entry = this.find(id);
    const current = this.list().active[entry.kind];
    const settings = readSettings(this.home.settings);
    if (current && current !== entry.id) settings.previous[entry.kind] = current;
    settings.active[entry.kind] = entry.id;
    writeSettings(this.home.settings, settings);
    return this.list();
  }

  /** The active model of a kind, loaded (sessions are kept, one per model file). */
  async active(kind: ModelKind): Promise<{ id: string; model: OnnxModel }> {
    const entry = this.activeEntry(kind);
    return { id: entry.id, model: await this.loadEntry(entry) };
  }

  /** The active model of a kind, not loaded (for another process to load). */
  activeEntry(kind: ModelKind): ModelEntry {
    const entries = this.entries();
    const id = this.activeIds(entries, readSettings(this.home.settings).active)[kind];
    const entry = entries.find((e) => e.id === id);
    if (!entry) {
      throw new ContractError(
        'unavailable',
        kind === 'classifier'
          ? `no classifier model: ship models/${RECOGNIZER_FILES.at(-1)} or train one in the Train view`
          : `no autoencoder model: ship models/${AUTOENCODER_FILE} or train one with architecture 'ae'`,
      );
    }
    return entry;
  }

  /** The model's session, loaded again when its file changed (a model re-trained in place). */
  async load(id: string): Promise<OnnxModel> {
    return this.loadEntry(this.find(id));
  }

  private loadEntry(entry: ModelEntry): Promise<OnnxModel> {
    const id = entry.id;
    const version = `${entry.path}@${entry.modified}:${entry.sizeBytes}`;
    const current = this.loaded.get(id);
    if (current?.version === version) return current.model;
    if (current) void current.model.then((m) => m.close()).catch(() => {});
    const model = OnnxModel.load(entry.path);
    this.loaded.set(id, { version, model });
    model.catch(() => {
      if (this.loaded.get(id)?.model === model) this.loaded.delete(id);
    });
    return model;
  }

  /** Closes a model's session (before its files are deleted). */
  async unload(id: string): Promise<void> {
    const current = this.loaded.get(id);
    this.loaded.delete(id);
    if (current) await (await current.model.catch(() => null))?.close();
  }

  async close(): Promise<void> {
    await Promise.all([...this.loaded.keys()].map((id) => this.unload(id)));
  }

  find(id: string): ModelEntry {
    const entry = this.entries().find((e) => e.id === id);
    if (!entry) throw new ContractError('not-found', `no model '${id}' (it may have been discarded)`);
    return entry;
  }

  /** Settings first; else the best shipped model of each kind. A setting naming a missing model is ignored. */
  private activeIds(entries: ModelEntry[], settings: Partial<Record<ModelKind, string>>): Record<ModelKind, string | null> {
    const pick = (kind: ModelKind, preferred: readonly string[]): string | null => {
      const chosen = settings[kind];
      if (chosen && entries.some((e) => e.id === chosen && e.kind === kind)) return chosen;
      for (const file of preferred) {
        const id = `shipped:${basename(file, '.onnx')}`;
        if (entries.some((e) => e.id === id && e.kind === kind)) return id;
      }
      return entries.find((e) => e.kind === kind)?.id ?? null;
    };
    return { classifier: pick('classifier', RECOGNIZER_FILES), autoencoder: pick('autoencoder', [AUTOENCODER_FILE]) };
  }

  private entries(): ModelEntry[] {
    return [...this.shipped(), ...this.trained()];
  }

  private shipped(): ModelEntry[] {
    if (!existsSync(this.modelsDir)) return [];
    return readdirSync(this.modelsDir)
      .filter((f) => f.endsWith('.onnx'))
      .sort()
      .map((file) => describeModel(`shipped:${basename(file, '.onnx')}`, join(this.modelsDir, file), 'shipped', basename(file, '.onnx')))
      .filter((e): e is ModelEntry => e !== null);
  }

  private trained(): ModelEntry[] {
    const out: ModelEntry[] = [];
    for (const run of listRuns(this.home.runs)) {
      if (run.state !== 'done' && run.state !== 'cancelled') continue;
      const path = run.result?.modelPath && existsSync(run.result.modelPath) ? run.result.modelPath : runModelPath(this.home.runs, run.runId);
      const when = run.startedAt.slice(0, 16).replace('T', ' ');
      const verb = run.kind === 'personalize' ? 'retrained on my handwriting' : 'trained';
      const entry = describeModel(
        `run:${run.runId}`,
        path,
        'trained',
        `${run.request.arch.toUpperCase()} ${verb} ${when}${run.state === 'cancelled' ? ' (cancelled)' : ''}`,
      );
      if (!entry) continue;
      const result = run.result;
      const card = result?.artefacts?.card;
      if (!entry.card && card && existsSync(card)) entry.card = readFileSync(card, 'utf8');
      // The run's own figures: what its Train view showed (a card's or metadata's say less).
      const best = result?.history.find((h) => h.epoch === result.bestEpoch) as (EpochRecord & { balancedAccuracy?: number }) | undefined;
      entry.figures = {
        ...figuresFromCard(entry.card),
        ...entry.figures,
        ...(result?.validationAccuracy !== undefined ? { accuracy: result.validationAccuracy } : {}),
        ...(best?.balancedAccuracy !== undefined ? { balancedAccuracy: best.balancedAccuracy } : {}),
        ...(result?.validationPsnr !== undefined ? { psnr: result.validationPsnr } : {}),
        ...(result ? { bestEpoch: result.bestEpoch, backend: result.backend } : {}),
      };
      // Retrained on the user's handwriting: the figures its verdict gave, so the two never disagree.
      const report = run.personalization;
      if (report?.after) {
        delete entry.figures.balancedAccuracy;
        Object.assign(entry.figures, { accuracy: report.after.base, yourSamples: report.after.user, verdict: report.verdict });
      }
      out.push(entry);
    }
    return out;
  }
}

/** Parsed headers by path, size and time: listing is on the hot path (every classify asks which model is active). */
const infoCache = new Map<string, { key: string; info: OnnxInfo | null }>();

function onnxInfoOf(path: string, stat: { size: number; mtimeMs: number }): OnnxInfo | null {
  const key = `${stat.size}:${stat.mtimeMs}`;
  const cached = infoCache.get(path);
  if (cached?.key === key) return cached.info;
  let info: OnnxInfo | null;
  try {
    info = readOnnxInfo(readFileSync(path));
  } catch {
    info = null;
  }
  infoCache.set(path, { key, info });
  return info;
}

/** What a model file says about itself; null for a file that is not a model we can read. */
function describeModel(id: string, path: string, origin: ModelInfo['origin'], name: string): ModelEntry | null {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return null;
  }
  const info = onnxInfoOf(path, stat);
  // Line models (any width) read whole lines; the glyph pipeline cannot use them, so they are no classifier to choose.
  if (!info || info.inputShape.includes(VARIABLE)) return null;
  const cardPath = path.replace(/\.onnx$/, '.md');
  const kind: ModelKind = info.classes ? 'classifier' : 'autoencoder';
  const card = existsSync(cardPath) ? readFileSync(cardPath, 'utf8') : undefined;
  const entry: ModelEntry = {
    id,
    name,
    kind,
    origin,
    path,
    sizeBytes: stat.size,
    modified: stat.mtime.toISOString(),
    figures: { ...(info.metadata.trainer ? { backend: info.metadata.trainer } : {}), ...figuresFromCard(card), ...figuresFromMetadata(info.metadata) },
  };
  const arch = info.metadata.arch ?? info.name;
  if (arch) entry.arch = arch;
  if (info.classes) entry.classes = info.classes;
  if (card) entry.card = card;
  return entry;
}

const fraction = (value: string | undefined) => {
  const v = Number(value);
  return value !== undefined && Number.isFinite(v) && v >= 0 && v <= 1 ? v : undefined;
};

/** Figures the trainer wrote into the ONNX file (TF.js models: accuracies, when, on what). */
function figuresFromMetadata(m: Record<string, string>): ModelFigures {
  const out: ModelFigures = {};
  const accuracy = fraction(m.validation_accuracy);
  const balanced = fraction(m.validation_balanced_accuracy);
  if (accuracy !== undefined) out.accuracy = accuracy;
  if (balanced !== undefined) out.balancedAccuracy = balanced;
  if (m.trained && !Number.isNaN(Date.parse(m.trained))) out.trained = new Date(m.trained).toISOString();
  if (m.best_epoch && /^\d+$/.test(m.best_epoch)) out.bestEpoch = Number(m.best_epoch);
  if (m.backend) out.backend = m.backend;
  return out;
}

/**
 * Figures from a model card written by `hwr train` (card.ts and the backends' validation lines),
 * for models whose file carries none (the from-scratch engine's).
 */
export function figuresFromCard(card: string | undefined): ModelFigures {
  if (!card) return {};
  const out: ModelFigures = {};
  const percent = (re: RegExp) => {
    const m = re.exec(card);
    return m ? Number(m[1]) / 100 : undefined;
  };
  const accuracy = percent(/^- Accuracy ([\d.]+)%/m);
  const balanced = percent(/balanced accuracy[^\n]*? ([\d.]+)%/);
  if (accuracy !== undefined) out.accuracy = accuracy;
  if (balanced !== undefined) out.balancedAccuracy = balanced;
  // The class-balanced PSNR where the card gives one (what a balanced test set measures), else the plain mean.
  const psnr = /^- Class-balanced PSNR[^\n]*? ([\d.]+) dB/m.exec(card) ?? /^- Mean per-image PSNR ([\d.]+) dB/m.exec(card);
  if (psnr) out.psnr = Number(psnr[1]);
  const backend = /^- Backend: (.+)$/m.exec(card);
  if (backend) out.backend = backend[1]!.trim();
  const best = /best epoch (\d+)/.exec(card);
  if (best) out.bestEpoch = Number(best[1]);
  return out;
}
