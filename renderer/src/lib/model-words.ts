/** A model's figures in people's words (Models view): percentages, dates, what trained it, and how it compares with the active one. */
import type { ModelInfo } from '../../../app/contract.ts';

export interface Figure {
  label: string;
  value: string;
  /** More on hover. */
  title?: string;
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function sizeWords(bytes: number): string {
  return bytes > 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1e3))} KB`;
}

/** The backend in a few words; the trainer's own description goes on hover. */
export function backendWords(backend: string): string {
  if (/tfjs-node-gpu|cuda|gpu/i.test(backend)) return 'TensorFlow.js on the GPU';
  if (/tfjs-node|libtensorflow|tensorflow \(native/i.test(backend)) return 'TensorFlow.js, native CPU';
  if (/tfjs|tf\.js|tensorflow/i.test(backend)) return 'TensorFlow.js in WebAssembly';
  if (/from-scratch|hwr engine/i.test(backend)) return "hwr's own network engine";
  return backend.split(/[,(]/)[0]!.trim();
}

export function classesWords(classes: readonly string[]): string {
  const lower = classes.some((c) => /^[a-z]$/.test(c));
  const upper = classes.some((c) => /^[A-Z]$/.test(c));
  const digits = classes.some((c) => /^\d$/.test(c));
  const kinds = [upper ? 'capitals' : '', lower ? 'lower case' : '', digits ? 'digits' : ''].filter(Boolean);
  return `${classes.length} characters${kinds.length ? ` (${kinds.join(', ')})` : ''}`;
}

export function figures(m: ModelInfo): Figure[] {
  const f = m.figures;
  const out: Figure[] = [];
  if (f.accuracy !== undefined)
    out.push({
      label: 'Validation accuracy',
      value: pct(f.accuracy),
      title: 'Share of the validation characters it read right, as common as each is in the data',
    });
  if (f.balancedAccuracy !== undefined)
    out.push({
      label: 'Balanced accuracy',
      value: pct(f.balancedAccuracy),
      title: 'The mean of its accuracy on each character: every character counts the same',
    });
  if (f.yourSamples !== undefined)
    out.push({ label: 'On your samples', value: pct(f.yourSamples), title: 'Accuracy on your samples held back from retraining' });
  if (f.psnr !== undefined)
    out.push({ label: 'Reconstruction', value: `${f.psnr.toFixed(1)} dB`, title: 'Mean PSNR of validation glyphs rebuilt from 32 numbers: higher is closer' });
  if (f.trained) out.push({ label: 'Trained', value: when(f.trained) });
  if (f.bestEpoch !== undefined) out.push({ label: 'Best epoch', value: String(f.bestEpoch) });
  if (f.backend) out.push({ label: 'Trained with', value: backendWords(f.backend), title: f.backend });
  return out;
}

/** The figure models of a kind are compared by: classifiers by balanced accuracy (else accuracy), autoencoders by PSNR. */
function score(m: ModelInfo): number | undefined {
  return m.kind === 'autoencoder' ? m.figures.psnr : (m.figures.balancedAccuracy ?? m.figures.accuracy);
}

/** How far below the active model a model must score to be called much weaker. */
const MUCH_WEAKER = { classifier: 0.03, autoencoder: 1 };

/**
 * How a model compares with the active one of its kind, when that says something: much weaker
 * (a warning before anyone activates it), or reading other characters (figures not comparable).
 */
export function comparedWithActive(m: ModelInfo, active: ModelInfo | undefined): { weaker: boolean; text: string } | null {
  if (!active || active.id === m.id || active.kind !== m.kind) return null;
  if (m.kind === 'classifier' && (m.classes?.length ?? 0) !== (active.classes?.length ?? 0))
    return {
      weaker: false,
      text: `Reads ${classesWords(m.classes ?? [])}; the active classifier reads ${active.classes?.length ?? '?'}: their accuracies do not compare.`,
    };
  const mine = score(m);
  const theirs = score(active);
  if (mine === undefined || theirs === undefined || theirs - mine < MUCH_WEAKER[m.kind]) return null;
  return m.kind === 'autoencoder'
    ? { weaker: true, text: `Much weaker than the active autoencoder: ${mine.toFixed(1)} dB against ${theirs.toFixed(1)} dB.` }
    : { weaker: true, text: `Much weaker than the active classifier: ${pct(mine)} of characters right against ${pct(theirs)}.` };
}
