/**
 * The one API between the UI and the back end: every request with its response, every event, and
 * the data they carry. Served over IPC by Electron (main/ipc.ts, main/preload.ts) and over
 * HTTP/WebSocket by `hwr serve` (app/server), implemented once in app/services/services.ts, validated at
 * the boundary by app/services/validate.ts. Types, plus the tables both sides read (limits,
 * training options, image types) and the wire codec: no Node imports, so the renderer (a browser
 * bundle) imports it as it is.
 */

/** Side of the square glyph every classifier and the autoencoder take (see app/data/glyphs.ts). */
export const GLYPH_SIDE = 32;
export const GLYPH_VALUES = GLYPH_SIDE * GLYPH_SIDE;

/** Labels 0–25 are A–Z and 26–35 the digits 0–9 (the order of the course's NIST36 set). */
export const CLASSES_36: readonly string[] = Object.freeze('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split(''));

/** The lower-case letters a–z (labels 0–25 of ../shared/data/emnist-lower). */
export const CLASSES_LOWER: readonly string[] = Object.freeze('abcdefghijklmnopqrstuvwxyz'.split(''));

/** The mixed-case glyph classes: A–Z, a–z, then 0–9. */
export const CLASSES_62: readonly string[] = Object.freeze([...CLASSES_36.slice(0, 26), ...CLASSES_LOWER, ...CLASSES_36.slice(26)]);

/**
 * The image types hwr opens: the Scan view, the desktop app's file associations (electron-builder.yml),
 * `hwr ocr` folders and image-folder datasets. Only types the bundled sharp decodes (HEIC and BMP it does not).
 */
export const IMAGE_TYPES = [
  { name: 'PNG', mimeType: 'image/png', extensions: ['png'] },
  { name: 'JPEG', mimeType: 'image/jpeg', extensions: ['jpg', 'jpeg', 'jpe'] },
  { name: 'WebP', mimeType: 'image/webp', extensions: ['webp'] },
  { name: 'TIFF', mimeType: 'image/tiff', extensions: ['tif', 'tiff'] },
  { name: 'GIF', mimeType: 'image/gif', extensions: ['gif'] },
  { name: 'AVIF', mimeType: 'image/avif', extensions: ['avif'] },
] as const;

/** 'PNG, JPEG, WebP, TIFF, GIF or AVIF', for messages. */
export const IMAGE_TYPE_NAMES = IMAGE_TYPES.map((t) => t.name)
  .join(', ')
  .replace(/, (\w+)$/, ' or $1');

/** Extensions with their dot ('.png', ...). */
export const IMAGE_EXTENSIONS: readonly string[] = IMAGE_TYPES.flatMap((t) => t.extensions.map((e) => `.${e}`));

/** A file input's `accept`: the MIME types and the extensions. */
export const IMAGE_ACCEPT = [...IMAGE_TYPES.map((t) => t.mimeType), ...IMAGE_EXTENSIONS].join(',');

/** Whether a file of this name (or, when given, MIME type) is an image hwr opens. */
export function isOpenableImage(name: string, mimeType = ''): boolean {
  const dot = name.lastIndexOf('.');
  const ext = dot < 0 ? '' : name.slice(dot).toLowerCase();
  return IMAGE_EXTENSIONS.includes(ext) || IMAGE_TYPES.some((t) => t.mimeType === mimeType.toLowerCase());
}

/** What the boundary accepts; larger or longer inputs are rejected with code 'too-large'. */
export const LIMITS = {
  /** An encoded image file (JPEG/PNG/...) sent for recognition. */
  imageBytes: 40 * 1024 * 1024,
  /** Glyphs per classify/reconstruct request. */
  glyphsPerRequest: 512,
  /** File names, labels of models and runs. */
  nameLength: 255,
  /** Side of a drawing raster sent for framing. */
  drawingSide: 1024,
  /** Paths the user types (datasets). */
  pathLength: 1024,
  /** Top-k predictions asked for. */
  topK: 10,
  /** Samples per class in a dataset grid. */
  samplesPerClass: 16,
  /** Samples of the user's handwriting that retraining needs at the least. */
  retrainSamples: 10,
  /** Ids (pages, glyphs, runs, models, jobs, samples). */
  idLength: 128,
  /** Samples per listSamples page. */
  samplesPerPage: 200,
  /** Rows of a page, and characters of a row's text, the user may edit. */
  rowsPerPage: 10_000,
  rowText: 4096,
} as const;

// ---------------------------------------------------------------------------------------------
// Training runs: what every trainer reports, whatever starts it.

export type Arch = 'mlp' | 'ae' | 'tfmlp' | 'cnn' | 'crnn';

// ---------------------------------------------------------------------------------------------
// Training options, each declared once: `hwr train` parses them (app/cli/train.ts), startTraining
// validates them (app/services/validate.ts), the trainers check them (app/train/options.ts) and the
// Train view shows their ranges and defaults.

type PerArch<T> = Readonly<Record<Arch, T>>;

interface OptionBase {
  /** `hwr train --flag`. */
  flag: string;
  /** The value's placeholder in the usage line. */
  meta?: string;
  help: string;
  /** Only these architectures take it (absent: all). */
  archs?: readonly Arch[];
}

export type TrainOptionSpec =
  | (OptionBase & { kind: 'integer' | 'number'; min: number; max: number; default: number | PerArch<number> })
  /** `set`: the value the flag gives (`--no-augment` sets false). */
  | (OptionBase & { kind: 'boolean'; set: boolean; default: boolean | PerArch<boolean> })
  | (OptionBase & { kind: 'path' })
  | (OptionBase & { kind: 'choice'; values: readonly Arch[]; default: Arch });

/**
 * The limits are generous for real use and small enough that a typo fails at once instead of running
 * for days: 1000 epochs (early stopping ends real runs long before), batches of 4096 glyphs (16 MB of
 * floats; larger ones no longer speed up an epoch and strain the WebAssembly heap), learning rates
 * 1e-6..10, momentum below 1 (at 1 it never decays), seeds that fit the 31-bit generator.
 */
export const TRAIN_OPTIONS = {
  arch: {
    kind: 'choice',
    flag: 'arch',
    values: ['mlp', 'ae', 'cnn', 'tfmlp', 'crnn'],
    default: 'mlp',
    help: 'mlp, ae: the from-scratch engine; cnn, tfmlp: TensorFlow.js glyph classifiers; crnn: the line recogniser (CTC)',
  },
  data: {
    kind: 'path',
    flag: 'data',
    meta: 'PATH',
    help:
      'EMNIST pool folder, IDX images, .mat, CIFAR-10 batches or a folder of class folders (default: the pool in ../shared/data); ' +
      'crnn: page images with ALTO/PAGE XML, or line images with .txt (default: ../shared/data/copiste)',
  },
  labels: { kind: 'path', flag: 'labels', meta: 'IDX', help: 'labels file for IDX images' },
  epochs: {
    kind: 'integer',
    flag: 'epochs',
    meta: 'N',
    min: 1,
    max: 1000,
    default: { mlp: 40, ae: 80, cnn: 30, tfmlp: 40, crnn: 60 },
    help: 'passes over the training images',
  },
  learningRate: {
    kind: 'number',
    flag: 'lr',
    meta: 'X',
    min: 1e-6,
    max: 10,
    default: { mlp: 0.1, ae: 0.003, cnn: 0.001, tfmlp: 0.1, crnn: 0.001 },
    help: 'learning rate; --lr X,Y,... or --sweep trains once per rate and reports the best',
  },
  batchSize: {
    kind: 'integer',
    flag: 'batch',
    meta: 'N',
    min: 1,
    max: 4096,
    default: { mlp: 32, ae: 32, cnn: 64, tfmlp: 32, crnn: 16 },
    help: 'images (crnn: lines) per step',
  },
  momentum: { kind: 'number', flag: 'momentum', meta: 'M', min: 0, max: 0.999, default: 0.9, help: "SGD momentum (the CNN's Adam: β1)" },
  width: {
    kind: 'number',
    flag: 'width',
    meta: 'W',
    min: 0.25,
    max: 8,
    default: 1,
    archs: ['cnn', 'crnn'],
    help: 'multiplies the filter counts (cnn: 16, 32, 64; crnn: its 1-D convolutions, 192)',
  },
  depth: {
    kind: 'integer',
    flag: 'depth',
    meta: 'N',
    min: 1,
    max: 12,
    default: 3,
    archs: ['crnn'],
    help: 'how many 1-D convolutions read along the line',
  },
  synthetic: {
    kind: 'number',
    flag: 'synthetic',
    meta: 'F',
    min: 0,
    max: 4,
    default: 0.25,
    archs: ['crnn'],
    help: 'synthetic lines (EMNIST glyphs composed into words, some in block capitals: --capitals) per epoch, as a share of the real lines',
  },
  capitals: {
    kind: 'number',
    flag: 'capitals',
    meta: 'F',
    min: 0,
    max: 1,
    default: 0.33,
    archs: ['crnn'],
    help: 'share of the synthetic lines written in block capitals, from well apart to touching and overlapping',
  },
  floor: {
    kind: 'number',
    flag: 'floor',
    meta: 'F',
    min: 0,
    max: 1,
    default: 0.7,
    archs: ['cnn', 'tfmlp'],
    help: 'classes below this validation accuracy get a decision offset against their look-alike (0: none)',
  },
  augment: {
    kind: 'boolean',
    flag: 'no-augment',
    set: false,
    default: { mlp: true, ae: false, cnn: true, tfmlp: true, crnn: true },
    help: 'no random shifts, turns and strokes',
  },
  balance: {
    kind: 'boolean',
    flag: 'no-balance',
    set: false,
    default: { mlp: true, ae: true, cnn: true, tfmlp: true, crnn: false },
    help: 'classes as they come (the pool is digit-heavy)',
  },
  patience: {
    kind: 'integer',
    flag: 'patience',
    meta: 'N',
    min: 0,
    max: 1000,
    default: { mlp: 10, ae: 10, cnn: 6, tfmlp: 8, crnn: 10 },
    help: 'stop after this many epochs without validation improvement (0: never)',
  },
  limit: { kind: 'integer', flag: 'limit', meta: 'N', min: 0, max: 10_000_000, default: 0, help: 'use at most this many training images (0: all)' },
  seed: {
    kind: 'integer',
    flag: 'seed',
    meta: 'N',
    min: 0,
    max: 2 ** 31 - 1,
    default: 1,
    help: 'seed of the split, shuffling, augmentation and initial weights',
  },
  initFrom: { kind: 'path', flag: 'init-from', meta: 'MODEL', help: 'fine-tune this ONNX model (a new output layer if the classes differ)' },
  freezeFeatures: { kind: 'boolean', flag: 'freeze', set: true, default: false, help: 'with --init-from: keep the feature layers fixed' },
  outDir: { kind: 'path', flag: 'out', meta: 'DIR', help: "the run's folder: model, curves, pictures, card (default: runs/<arch>-<time>)" },
  resume: { kind: 'boolean', flag: 'resume', set: true, default: false, help: 'continue from the checkpoint in --out' },
  save: { kind: 'path', flag: 'save', meta: 'models/NAME.onnx', help: 'also install the best model here, its model card beside it' },
} as const satisfies Record<string, TrainOptionSpec>;

export type TrainOptionName = keyof typeof TRAIN_OPTIONS;

/** What an option takes when not given, for this architecture (undefined: nothing, e.g. a path). */
export function trainDefault(name: TrainOptionName, arch: Arch): number | boolean | string | undefined {
  const spec: TrainOptionSpec = TRAIN_OPTIONS[name];
  if (!('default' in spec)) return undefined;
  return typeof spec.default === 'object' ? spec.default[arch] : spec.default;
}

/** The range in words, e.g. 'an integer within 1..1000'. */
export function rangeText(spec: TrainOptionSpec & { kind: 'integer' | 'number' }): string {
  return `${spec.kind === 'integer' ? 'an integer' : 'a number'} within ${spec.min}..${spec.max}`;
}

/** The options that differ by architecture: what `hwr train --arch X` and the Train view start from. */
export type ArchDefaults = Pick<TrainRequest, 'epochs' | 'learningRate' | 'batchSize' | 'momentum' | 'augment' | 'balance' | 'patience'>;

export function archDefaults(arch: Arch): ArchDefaults {
  const n = (name: TrainOptionName) => trainDefault(name, arch) as number;
  const b = (name: TrainOptionName) => trainDefault(name, arch) as boolean;
  return {
    epochs: n('epochs'),
    learningRate: n('learningRate'),
    batchSize: n('batchSize'),
    momentum: n('momentum'),
    augment: b('augment'),
    balance: b('balance'),
    patience: n('patience'),
  };
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy?: number;
  validationLoss: number;
  validationAccuracy?: number;
  /** autoencoder: mean validation PSNR in dB (class-balanced, the mean of per-class means, when training balanced) */
  validationPsnr?: number;
  /** line recogniser: character and word error rates on the validation writers */
  cer?: number;
  wer?: number;
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

// ---------------------------------------------------------------------------------------------
// Errors

export type ErrorCode =
  /** The request is malformed: wrong type, out of range, unknown field value. */
  | 'invalid-request'
  /** The request is too big (see LIMITS). */
  | 'too-large'
  /** A page, model, run or dataset that does not exist (any more). */
  | 'not-found'
  /** Something is in the way: a run is already going, the model is in use. */
  | 'busy'
  /** A resource the request needs is missing: no model, no shared data. */
  | 'unavailable'
  /** The input was read but could not be used: an unreadable image. */
  | 'unprocessable'
  /** HTTP only: missing or wrong token. */
  | 'unauthorized'
  | 'internal';

/** How every error crosses the boundary. */
export interface ErrorDTO {
  code: ErrorCode;
  message: string;
}

/** An error that carries its code; services throw it, transports turn it into an ErrorDTO and back. */
export class ContractError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ContractError';
  }

  toDTO(): ErrorDTO {
    return { code: this.code, message: this.message };
  }
}

/** What a transport returns for one request. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ErrorDTO };

// ---------------------------------------------------------------------------------------------
// Data

/** A glyph image: GLYPH_SIDE × GLYPH_SIDE values in [0, 1], row-major, ink = 1 (as models see it). */
export type GlyphPixels = Float32Array;

export interface Prediction {
  label: string;
  probability: number;
}

/** A box in the pixels of the upright source image (EXIF orientation applied), x/y = top-left. */
export interface BoxDTO {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface GlyphDTO {
  /** Unique within its page. */
  id: string;
  box: BoxDTO;
  label: string;
  confidence: number;
  topK: Prediction[];
  /** The 32×32 glyph the classifier saw. */
  pixels: GlyphPixels;
  /** Set when the user corrected the label. */
  corrected?: boolean;
}

export interface WordDTO {
  box: BoxDTO;
  text: string;
  glyphs: GlyphDTO[];
}

/** Below this confidence a line is marked as one hwr could not read well (the Scan view's `?`, `unsure` in JSON). */
export const UNSURE_BELOW = 0.6;

export interface RowDTO {
  box: BoxDTO;
  text: string;
  words: WordDTO[];
  /**
   * Who read it: the glyph classifier (its words have glyphs, each correctable), or the line
   * recogniser (joined-up and lower-case writing: the whole line at once, no glyphs).
   */
  reader: 'glyphs' | 'lines';
  /** How sure the reader was (0..1); 1 once the user typed the text. */
  confidence: number;
  /** The user typed its text (editRow). */
  edited?: boolean;
}

export interface PageDTO {
  id: string;
  /** The file name the image came with. */
  name: string;
  /** Size of the upright source image; boxes are in these pixels. */
  width: number;
  height: number;
  rows: RowDTO[];
  /** Rows joined with newlines. */
  text: string;
  /** Id of the model that read it. */
  model: string;
  seconds: number;
  /** The writing ran sideways or upside down: the image was turned this far clockwise (90, 180, 270); width, height and boxes are the turned page's. */
  turned?: number;
  /** A photo of a sheet on a desk: the sheet's corners in the photo (top-left, top-right, bottom-right, bottom-left); the page is the sheet flattened. */
  sheet?: { x: number; y: number }[];
  /** The lines sloped this many degrees clockwise: the page was turned straight to read it. */
  skew?: number;
  /** The image as read (a data: URL), where it is not the image as given (flattened, straightened or turned): boxes are on it. */
  view?: string;
}

/** A page in the history (HWR_HOME/pages), as the list shows it. */
export interface PageSummary {
  id: string;
  name: string;
  /** ISO times: first read, last changed (read again, corrected, renamed). */
  savedAt: string;
  modifiedAt: string;
  rows: number;
  /** Characters of text, spaces left out. */
  characters: number;
  /** Rows typed and glyphs corrected by the user. */
  edits: number;
  /** The start of its text. */
  preview: string;
  /** Its files cannot be read: it can only be deleted. */
  damaged?: true;
}

/** A batch of pages on the queue (hwr queue add), as hwr queue status and the Scan view show it. */
export interface BatchProgress {
  batch: string;
  total: number;
  /** ISO time it was added. */
  added: string;
  format: string;
  /** The results' folder, relative to the shared storage. */
  out: string;
  done: number;
  failed: number;
  active: number;
  waiting: number;
  /** Pages finished per minute, from the first started to the last finished; null before two are done. */
  perMinute: number | null;
  /** Seconds to go at that pace; null when unknown. */
  etaSeconds: number | null;
  /** Each failed page, and why. */
  failures: { name: string; reason: string }[];
}

export type ModelKind = 'classifier' | 'autoencoder';

export interface ModelInfo {
  /** 'shipped:<file stem>' for models/, 'run:<run id>' for the user's training runs. */
  id: string;
  name: string;
  kind: ModelKind;
  origin: 'shipped' | 'trained';
  /** The architecture, when the file says (mlp, ae, cnn, tfmlp). */
  arch?: string;
  classes?: string[];
  path: string;
  sizeBytes: number;
  /** ISO time the file was written. */
  modified: string;
  /** The model card (markdown), when there is one. */
  card?: string;
  /** Headline figures from the file's metadata, its run or its model card; the UI words them. */
  figures: ModelFigures;
  active: boolean;
}

/** What is known of a model's quality and making (each field only where its source says). */
export interface ModelFigures {
  /** Classifiers: share of the validation images read right, natural class mix (0..1). */
  accuracy?: number;
  /** Classifiers: the mean of per-class accuracies, what a test set with as many of each class measures (0..1). */
  balancedAccuracy?: number;
  /** Autoencoders: mean validation PSNR in dB. */
  psnr?: number;
  /** ISO time the training finished. */
  trained?: string;
  bestEpoch?: number;
  /** What trained it, as the trainer wrote it (library, kernels, threads). */
  backend?: string;
  /** Retrained on the user's handwriting: accuracy on their held-back samples (0..1), and the retraining's verdict. */
  yourSamples?: number;
  verdict?: string;
}

export interface ModelList {
  models: ModelInfo[];
  /** Ids of the active models; null when none is available. */
  active: Record<ModelKind, string | null>;
  /** The model of each kind that was active before the current one (one click back), if it still exists. */
  previous: Record<ModelKind, string | null>;
}

export interface DatasetInfo {
  /** Give this as TrainRequest.dataset. */
  id: string;
  name: string;
  description: string;
  path: string;
  available: boolean;
}

export interface AppInfo {
  version: string;
  /** Where samples, runs and settings are kept (HWR_HOME). */
  dataDir: string;
  /** Where ../shared/data is, if present. */
  sharedData: string | null;
  /** Which front end serves the contract. */
  transport: 'ipc' | 'http';
  /** The Redis of the training queue (password hidden) when HWR_REDIS names one: retraining can be sent to its GPU workers. */
  trainQueue: string | null;
}

export interface TrainRequest {
  arch: Arch;
  /** A DatasetInfo id, or a path to a dataset the readers understand. */
  dataset: string;
  epochs: number;
  learningRate: number;
  batchSize: number;
  momentum: number;
  /** At most this many training images (0 = all). */
  limit: number;
  augment: boolean;
  balance: boolean;
  patience: number;
  seed: number;
}

/** "Retrain on my handwriting": fine-tune the active classifier on the sample store plus base data. */
export interface PersonalizeRequest {
  epochs: number;
  seed: number;
  /** Train on a worker of the training queue (AppInfo.trainQueue, `hwr worker --train`) instead of this machine. */
  onQueue?: boolean;
}

/** Accuracy (0–1) on the user's held-back samples and on the base data's validation images. */
export interface AccuracyPair {
  user: number;
  base: number;
}

export interface PersonalizationReport {
  /** The model that was fine-tuned: the active classifier when the run started. */
  baseModel: string;
  /** User samples trained on, and held back for the before/after comparison. */
  userTrain: number;
  userHeldOut: number;
  /** Base validation images compared on. */
  baseValidation: number;
  before: AccuracyPair;
  /** Null when the run was cancelled before a model was made. */
  after: AccuracyPair | null;
  /** Share of the fine-tuned weights in the result (the rest is the model before); 0 when none was made. */
  blend: number;
  /** Whether the new model is better: more right on held-back samples, base accuracy within maxBaseDrop. */
  improved: boolean;
  maxBaseDrop: number;
  /** Why it was (not) activated, in a sentence. */
  verdict: string;
}

export type TrainState = 'idle' | 'starting' | 'running' | 'cancelling' | 'done' | 'cancelled' | 'failed';

/** Everything the Train view needs to draw itself, also after a reload. */
export interface TrainingStatus {
  state: TrainState;
  /** A training run from the Train view, or "Retrain on my handwriting". */
  kind: 'train' | 'personalize';
  runId: string | null;
  request: TrainRequest | null;
  /** From the run's 'start' event. */
  backend: string | null;
  epochs: number;
  batchesPerEpoch: number;
  trainCount: number;
  validationCount: number;
  /** Finished epochs. */
  history: EpochRecord[];
  /** Training loss by batch, `at` in epochs (1.5 = halfway through epoch 2); thinned to a few hundred points. */
  lossTrace: { at: number; loss: number }[];
  /** Where the current epoch is. */
  epoch: number;
  batch: number;
  lastBatchLoss: number | null;
  etaSeconds: number | null;
  startedAt: string | null;
  result: TrainResult | null;
  error: ErrorDTO | null;
  /** Whether the run's model can be resumed (a cancelled or failed run with a checkpoint). */
  resumable: boolean;
  /** Whether the run's model is now the active model of its kind. */
  activated: boolean;
  /** Personalisation runs: before/after accuracy and the verdict, once measured. */
  personalization: PersonalizationReport | null;
}

export interface RunDetails {
  runId: string;
  /** Confusion on the validation images, rows = truth; absent for the autoencoder or before the first model. */
  confusion?: { classes: string[]; matrix: number[][]; confused: { truth: string; predicted: string; count: number; rate: number }[] };
  /** First-layer weights as tiles, gray 0–255. */
  weights?: { width: number; height: number; pixels: Uint8Array };
}

export type ExportFormat = 'text' | 'json' | 'hocr' | 'alto' | 'page' | 'pdf';
export const EXPORT_FORMATS: readonly ExportFormat[] = Object.freeze(['text', 'json', 'hocr', 'alto', 'page', 'pdf']);

/** An exported page: text, or (PDF) bytes in base64. */
export interface ExportedFile {
  filename: string;
  mimeType: string;
  content: string;
  encoding?: 'base64';
}

/** A PDF file's name: the Scan view takes a scanned PDF apart into its pages. */
export const isPdfFile = (name: string, mimeType = ''): boolean => name.toLowerCase().endsWith('.pdf') || mimeType.toLowerCase() === 'application/pdf';

// ---------------------------------------------------------------------------------------------
// Requests

export interface RecognizePageRequest {
  /** File name, for the page and its exports. */
  name: string;
  /** The encoded image (JPEG, PNG, WebP, TIFF, ...). */
  image: Uint8Array;
  /** Progress events for this page carry this id. */
  jobId?: string;
  /**
   * Which reader reads each line: the glyph classifier, the line recogniser, or (default) per
   * line the one whose reading the line model finds likelier.
   */
  reader?: PageReader;
  /**
   * The sheet's corners in the image (top-left, top-right, bottom-right, bottom-left, in its
   * pixels, EXIF orientation applied), as the user placed them: the sheet is flattened from
   * these instead of the corners hwr finds. An empty list: no sheet, read the image as it is.
   */
  sheet?: { x: number; y: number }[];
}

export const PAGE_READERS = ['auto', 'glyphs', 'lines'] as const;
export type PageReader = (typeof PAGE_READERS)[number];

export interface GlyphBatchRequest {
  /** count × GLYPH_VALUES values in [0, 1]. */
  glyphs: Float32Array;
  /** Predictions per glyph (classify only; default 5). */
  topK?: number;
}

/** A drawing as ink (0 = paper, 255 = full ink), row-major; the back end frames it with app/image/frame.ts. */
export interface DrawingRequest {
  ink: Uint8Array;
  width: number;
  height: number;
  topK?: number;
}

/** Where a stored sample came from; 'unknown' for one whose record a crash cut short. */
export type SampleSource = 'draw' | 'scan' | 'dataset' | 'unknown';

export interface SampleInfo {
  id: string;
  label: string;
  source: SampleSource;
  /** ISO time. */
  savedAt: string;
  /** What the model said when it was saved. */
  predicted?: string;
  /** The model that said it. */
  model?: string;
  /** For a correction: the scanned page's file name. */
  pageName?: string;
  /** Set when the user relabelled it. */
  relabeledFrom?: string;
  /** Its image cannot be read (a damaged file): shown blank, to be deleted. */
  damaged?: boolean;
}

export interface SampleListRequest {
  /** Only this class. */
  label?: string;
  offset?: number;
  /** At most LIMITS.samplesPerPage. */
  limit?: number;
}

export interface SamplePage {
  /** Samples matching the request (all pages). */
  total: number;
  /** Samples per class, over the whole store. */
  counts: Record<string, number>;
  /** This page, newest first. */
  samples: SampleInfo[];
  /** samples.length × GLYPH_VALUES, in the same order. */
  glyphs: Float32Array;
}

export interface SaveSampleRequest {
  label: string;
  glyph: GlyphPixels;
  source: Exclude<SampleSource, 'unknown'>;
  /** For a correction on a scanned page: the page and glyph, whose label is updated too. */
  pageId?: string;
  glyphId?: string;
  /** What the model said, kept in the provenance. */
  predicted?: string;
}

/** A request's types; the value is only a marker, so that the names exist at run time too. */
const endpoint = <Request, Response>() => ({}) as { request: Request; response: Response };

/**
 * Every request with its response, each declared once: the transports are generic over this map and
 * take their names from it. A new request is one entry here; TypeScript then asks for its checker in
 * app/services/validate.ts and its method in app/services/services.ts.
 */
const REQUESTS = {
  appInfo: endpoint<Record<string, never>, AppInfo>(),
  recognizePage: endpoint<RecognizePageRequest, PageDTO>(),
  classifyGlyphs: endpoint<GlyphBatchRequest, { model: string; predictions: Prediction[][] }>(),
  classifyDrawing: endpoint<DrawingRequest, { model: string; glyph: GlyphPixels; predictions: Prediction[] }>(),
  reconstructGlyphs: endpoint<GlyphBatchRequest, { model: string; reconstructions: Float32Array; psnr: number[] }>(),
  datasetSamples: endpoint<{ perClass: number; seed?: number }, { source: string; classes: string[]; labels: number[]; glyphs: Float32Array }>(),
  listModels: endpoint<Record<string, never>, ModelList>(),
  activateModel: endpoint<{ id: string }, ModelList>(),
  listDatasets: endpoint<Record<string, never>, DatasetInfo[]>(),
  startTraining: endpoint<TrainRequest, TrainingStatus>(),
  cancelTraining: endpoint<Record<string, never>, TrainingStatus>(),
  resumeTraining: endpoint<{ runId: string }, TrainingStatus>(),
  discardRun: endpoint<{ runId: string }, TrainingStatus>(),
  trainingStatus: endpoint<Record<string, never>, TrainingStatus>(),
  runDetails: endpoint<{ runId: string }, RunDetails>(),
  saveSample: endpoint<SaveSampleRequest, { id: string; path: string; count: number }>(),
  listSamples: endpoint<SampleListRequest, SamplePage>(),
  relabelSample: endpoint<{ id: string; label: string }, SampleInfo>(),
  deleteSample: endpoint<{ id: string }, { total: number }>(),
  startPersonalization: endpoint<PersonalizeRequest, TrainingStatus>(),
  /** Images the desktop app was asked to open (file associations, the command line) since the last call. */
  takeOpenedFiles: endpoint<Record<string, never>, { files: { name: string; image: Uint8Array }[] }>(),
  exportPage: endpoint<{ pageId: string; format: ExportFormat }, ExportedFile>(),
  /** A scanned PDF taken apart: each page's image as an image file, named after the PDF and the page. */
  splitPdf: endpoint<{ name: string; image: Uint8Array }, { pages: { name: string; image: Uint8Array }[] }>(),
  /** A glyph of a read page relabelled (its word's and row's text follow); no sample is saved. */
  correctGlyph: endpoint<{ pageId: string; glyphId: string; label: string }, PageDTO>(),
  /** A row of a read page given the text the user typed (empty: the row reads nothing). */
  editRow: endpoint<{ pageId: string; row: number; text: string }, PageDTO>(),
  /** The pages read before (this session or an earlier one), most recently changed first. */
  listPages: endpoint<Record<string, never>, { pages: PageSummary[] }>(),
  /** A page from the history, as it was left (corrections included), with the image as given. */
  openPage: endpoint<{ pageId: string }, { page: PageDTO; image: Uint8Array }>(),
  renamePage: endpoint<{ pageId: string; name: string }, PageSummary>(),
  deletePage: endpoint<{ pageId: string }, { pages: number }>(),
  /** A batch's progress on the queue the server is told of (HWR_REDIS), as `hwr queue status` shows it. */
  queueStatus: endpoint<{ batch: string }, BatchProgress>(),
};

export type HwrRequests = typeof REQUESTS;
export type RequestName = keyof HwrRequests;
export type RequestOf<K extends RequestName> = HwrRequests[K]['request'];
export type ResponseOf<K extends RequestName> = HwrRequests[K]['response'];

export const REQUEST_NAMES: readonly RequestName[] = Object.freeze(Object.keys(REQUESTS) as RequestName[]);

export function isRequestName(name: unknown): name is RequestName {
  return typeof name === 'string' && (REQUEST_NAMES as readonly string[]).includes(name);
}

// ---------------------------------------------------------------------------------------------
// Events (back end → UI)

export type HwrEvent =
  | { type: 'train'; runId: string; event: TrainEvent }
  | { type: 'train-status'; status: TrainingStatus }
  | { type: 'progress'; jobId: string; stage: string; fraction: number }
  /** The desktop app was asked to open images: fetch them with takeOpenedFiles. */
  | { type: 'files-opened'; count: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string; time: string };

export type EventListener = (event: HwrEvent) => void;

/** The API as the renderer sees it: one async method per request, plus the event stream. */
export type HwrApi = { [K in RequestName]: (request: RequestOf<K>) => Promise<ResponseOf<K>> } & {
  /** Subscribes to events; returns the unsubscribe function. */
  onEvent(listener: EventListener): () => void;
};

/**
 * What the Electron preload exposes as `window.hwr`: the same methods, each resolving to an
 * Outcome (errors do not keep their code when they cross contextBridge, so none are thrown).
 */
export type HwrBridge = { [K in RequestName]: (request: RequestOf<K>) => Promise<Outcome<ResponseOf<K>>> } & {
  onEvent(listener: EventListener): () => void;
};

/** The IPC channel of a request; events travel on EVENT_CHANNEL. */
export const ipcChannel = (name: RequestName): string => `hwr:${name}`;
export const EVENT_CHANNEL = 'hwr:event';

// ---------------------------------------------------------------------------------------------
// Wire format (HTTP/WebSocket): JSON, with typed arrays as tagged base64 so images and glyphs
// keep their type and travel at 4/3 of their size instead of as decimal lists.

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

export function bytesToBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  const CHUNK = 3 * 4096;
  for (let start = 0; start < bytes.length; start += CHUNK) {
    const end = Math.min(bytes.length, start + CHUNK);
    let s = '';
    for (let i = start; i < end; i += 3) {
      const a = bytes[i]!;
      const b = i + 1 < end ? bytes[i + 1]! : 0;
      const c = i + 2 < end ? bytes[i + 2]! : 0;
      s += B64[a >> 2]! + B64[((a & 3) << 4) | (b >> 4)]! + (i + 1 < end ? B64[((b & 15) << 2) | (c >> 6)]! : '=') + (i + 2 < end ? B64[c & 63]! : '=');
    }
    parts.push(s);
  }
  return parts.join('');
}

export function base64ToBytes(text: string): Uint8Array {
  return decodeBase64(0, text.length, (i) => text.charCodeAt(i));
}

/**
 * Base64 in `length` characters (read by `code`, from `start`) to bytes: one allocation, the
 * result's own buffer (offset 0, so a Float32Array can view it).
 */
function decodeBase64(start: number, end: number, code: (i: number) => number): Uint8Array {
  const length = end - start;
  if (length % 4 !== 0) throw new ContractError('invalid-request', 'base64 data has a length that is not a multiple of 4');
  const pad = length > 0 && code(end - 1) === 61 ? (code(end - 2) === 61 ? 2 : 1) : 0;
  const out = new Uint8Array((length / 4) * 3 - pad);
  const digit = (i: number) => {
    const ch = code(i);
    const d = ch < 128 ? B64_INDEX[ch]! : -1;
    if (d < 0) throw new ContractError('invalid-request', `base64 data has a bad character at ${i - start}`);
    return d;
  };
  const whole = pad ? length - 4 : length;
  let o = 0;
  for (let i = start; i < start + whole; i += 4) {
    const n = (digit(i) << 18) | (digit(i + 1) << 12) | (digit(i + 2) << 6) | digit(i + 3);
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 255;
    out[o++] = n & 255;
  }
  if (pad) {
    const i = start + whole;
    const n = (digit(i) << 18) | (digit(i + 1) << 12) | (pad === 1 ? digit(i + 2) << 6 : 0);
    out[o] = n >> 16;
    if (pad === 1) out[o + 1] = (n >> 8) & 255;
  }
  return out;
}

/** JSON with Uint8Array as {"$u8": base64} and Float32Array as {"$f32": base64} (little-endian). */
export function encodeWire(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    // The holder's own value: a Node Buffer (a Uint8Array) has already been through its toJSON.
    const raw = key === '' ? value : this[key];
    if (raw instanceof Float32Array) return { $f32: bytesToBase64(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)) };
    if (raw instanceof Uint8Array) return { $u8: bytesToBase64(raw) };
    return v;
  });
}

function asFloat32(bytes: Uint8Array): Float32Array {
  if (bytes.length % 4 !== 0) throw new ContractError('invalid-request', 'float32 data is not a whole number of values');
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
}

function wireReviver(blobs: readonly (Uint8Array | Float32Array)[] = [], marker = '') {
  return (_key: string, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length !== 1) return v;
      const value = (v as Record<string, unknown>)[keys[0]!];
      if (keys[0] === '$u8' && typeof value === 'string') return base64ToBytes(value);
      if (keys[0] === '$f32' && typeof value === 'string') return asFloat32(base64ToBytes(value));
      if (marker && keys[0] === marker && typeof value === 'number') return blobs[value];
    }
    return v;
  };
}

export function decodeWire(text: string): unknown {
  return JSON.parse(text, wireReviver());
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isSpace = (c: number | undefined) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * decodeWire on the body's bytes as they came in, for large requests (a 38 MB photo is 51 MB of
 * base64): each {"$u8": …} or {"$f32": …} is decoded straight from the body into its array, and
 * only the JSON around them (names, numbers: a few hundred bytes) becomes a string. Parsing the
 * whole body as text would hold it three more times (the text, the base64 string, a copy per
 * decode). Anything unusual (an escaped character in the base64, another key beside it) is left
 * in the text, for JSON.parse and decodeWire's rules: the result is the same either way.
 */
export function decodeWireBody(bytes: Uint8Array): unknown {
  const blobs: (Uint8Array | Float32Array)[] = [];
  // A key no sender can know, for the placeholders (a client's own "$blob" keys stay plain data).
  const marker = `$hwr-blob-${Math.random().toString(36).slice(2)}`;
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const n = bytes.length;
  let text = '';
  let from = 0;
  let at = 0;
  // Between strings the scan is at the JSON's structure, so a string starting after '{' is a key.
  for (;;) {
    const open = bytes.indexOf(QUOTE, at);
    if (open < 0) break;
    let close = open;
    do {
      close = bytes.indexOf(QUOTE, close + 1);
      if (close < 0) break;
      let slashes = 0;
      for (let k = close - 1; bytes[k] === BACKSLASH; k--) slashes++;
      if (slashes % 2 === 0) break;
    } while (close >= 0);
    if (close < 0) break; // unterminated: JSON.parse says so
    at = close + 1;
    const keyLength = close - open - 1;
    if ((keyLength !== 3 && keyLength !== 4) || bytes[open + 1] !== 0x24) continue;
    const key = String.fromCharCode(...bytes.subarray(open + 1, close));
    if (key !== '$u8' && key !== '$f32') continue;
    let before = open - 1;
    while (isSpace(bytes[before])) before--;
    let c = close + 1;
    while (isSpace(bytes[c])) c++;
    if (bytes[before] !== 0x7b || bytes[c] !== 0x3a) continue;
    c++;
    while (isSpace(bytes[c])) c++;
    if (bytes[c] !== QUOTE) continue;
    const valueEnd = bytes.indexOf(QUOTE, c + 1);
    if (valueEnd < 0) continue;
    const slash = bytes.indexOf(BACKSLASH, c + 1);
    if (slash >= 0 && slash < valueEnd) continue;
    let after = valueEnd + 1;
    while (isSpace(bytes[after])) after++;
    if (bytes[after] !== 0x7d) continue;
    const decoded = decodeBase64(c + 1, valueEnd, (i) => bytes[i]!);
    blobs.push(key === '$f32' ? asFloat32(decoded) : decoded);
    text += utf8.decode(bytes.subarray(from, before)) + `{"${marker}":${blobs.length - 1}}`;
    from = after + 1;
    at = from;
  }
  text += utf8.decode(bytes.subarray(from, n));
  return JSON.parse(text, wireReviver(blobs, marker));
}

/** HTTP: the header carrying the session token, and the WebSocket subprotocol prefix that carries it. */
export const TOKEN_HEADER = 'x-hwr-token';
export const WS_PROTOCOL = 'hwr.v1';
export const WS_TOKEN_PREFIX = 'hwr.token.';
