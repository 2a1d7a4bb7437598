/**
 * The boundary check: every request that arrives over IPC or HTTP passes through `validateRequest`
 * before a service sees it. Types, ranges, lengths and sizes are checked here (a training run's
 * ranges come from TRAIN_OPTIONS, which `hwr train` and the trainers read too); the services can
 * then trust their arguments. Unknown fields are rejected, so a typo in a
 * client fails loudly instead of being ignored.
 */
import {
  ContractError,
  EXPORT_FORMATS,
  GLYPH_SIDE,
  GLYPH_VALUES,
  LIMITS,
  PAGE_READERS,
  TRAIN_OPTIONS,
  type RequestName,
  type RequestOf,
  type TrainRequest,
} from '../contract.ts';

type Checker<K extends RequestName> = (body: Body) => RequestOf<K>;

/** One request object being checked: reads fields by name and says which one is wrong. */
class Body {
  private readonly record: Record<string, unknown>;

  constructor(
    readonly request: string,
    value: unknown,
    allowed: readonly string[],
  ) {
    if (value === undefined || value === null) value = {};
    if (typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) {
      throw invalid(`${request}: the request must be an object`);
    }
    this.record = value as Record<string, unknown>;
    const unknown = Object.keys(this.record).filter((k) => !allowed.includes(k));
    if (unknown.length > 0) throw invalid(`${request}: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}`);
  }

  private name(field: string): string {
    return `${this.request}.${field}`;
  }

  has(field: string): boolean {
    return this.record[field] !== undefined;
  }

  string(field: string, max: number, opts: { optional?: boolean; pattern?: RegExp; what?: string; empty?: boolean } = {}): string {
    const v = this.record[field];
    if (v === undefined && opts.optional) return undefined as unknown as string;
    if (typeof v !== 'string') throw invalid(`${this.name(field)} must be a string`);
    if (v.length === 0 && !opts.empty) throw invalid(`${this.name(field)} must not be empty`);
    if (v.length > max) throw new ContractError('too-large', `${this.name(field)} is ${v.length} characters long, more than ${max}`);
    if (opts.pattern && !opts.pattern.test(v)) throw invalid(`${this.name(field)} must be ${opts.what ?? `like ${opts.pattern}`}, got '${v}'`);
    return v;
  }

  oneOf<T extends string>(field: string, values: readonly T[]): T {
    const v = this.record[field];
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      throw invalid(`${this.name(field)} must be one of ${values.join(', ')}, got ${describe(v)}`);
    }
    return v as T;
  }

  number(field: string, min: number, max: number, opts: { integer?: boolean; optional?: boolean } = {}): number {
    const v = this.record[field];
    if (v === undefined && opts.optional) return undefined as unknown as number;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(`${this.name(field)} must be a number, got ${describe(v)}`);
    if (opts.integer && !Number.isInteger(v)) throw invalid(`${this.name(field)} must be an integer, got ${v}`);
    if (v < min || v > max) throw invalid(`${this.name(field)} must be within ${min}..${max}, got ${v}`);
    return v;
  }

  boolean(field: string): boolean {
    const v = this.record[field];
    if (typeof v !== 'boolean') throw invalid(`${this.name(field)} must be true or false, got ${describe(v)}`);
    return v;
  }

  /** Four corners of a sheet (points with finite x, y ≥ 0), or none. */
  corners(field: string): { x: number; y: number }[] {
    const v = this.record[field];
    if (!Array.isArray(v) || (v.length !== 4 && v.length !== 0)) throw invalid(`${this.name(field)} must be a list of 4 corners (or none), got ${describe(v)}`);
    return v.map((p: unknown, i) => {
      const q = p as { x?: unknown; y?: unknown } | null;
      const ok = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 1e6;
      if (!q || typeof q !== 'object' || !ok(q.x) || !ok(q.y) || Object.keys(q).length !== 2)
        throw invalid(`${this.name(field)}[${i}] must be a point {x, y} of the image, got ${describe(p)}`);
      return { x: q.x as number, y: q.y as number };
    });
  }

  bytes(field: string, maxBytes: number): Uint8Array {
    const v = this.record[field];
    if (!(v instanceof Uint8Array)) throw invalid(`${this.name(field)} must be binary data (Uint8Array), got ${describe(v)}`);
    if (v.length === 0) throw invalid(`${this.name(field)} is empty`);
    if (v.length > maxBytes) throw new ContractError('too-large', `${this.name(field)} is ${mb(v.length)}, more than the limit of ${mb(maxBytes)}`);
    return v;
  }

  /** Whole glyphs of GLYPH_VALUES values in [0, 1]; `exactly` = the number of glyphs required. */
  glyphs(field: string, opts: { exactly?: number } = {}): Float32Array {
    const v = this.record[field];
    if (!(v instanceof Float32Array)) throw invalid(`${this.name(field)} must be float32 glyph data (Float32Array), got ${describe(v)}`);
    if (v.length === 0 || v.length % GLYPH_VALUES !== 0)
      throw invalid(`${this.name(field)} must hold whole ${GLYPH_SIDE}×${GLYPH_SIDE} glyphs (a multiple of ${GLYPH_VALUES} values), got ${v.length} values`);
    const count = v.length / GLYPH_VALUES;
    if (opts.exactly !== undefined && count !== opts.exactly)
      throw invalid(`${this.name(field)} must hold ${opts.exactly} glyph${opts.exactly > 1 ? 's' : ''}, got ${count}`);
    if (count > LIMITS.glyphsPerRequest)
      throw new ContractError('too-large', `${this.name(field)} holds ${count} glyphs, more than ${LIMITS.glyphsPerRequest} per request`);
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (!(x >= 0 && x <= 1)) throw invalid(`${this.name(field)}: value ${i} is ${x}, outside [0, 1]`);
    }
    return v;
  }
}

const invalid = (message: string) => new ContractError('invalid-request', message);

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  return typeof v === 'object' ? 'an object' : String(v);
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const idField = (b: Body, field: string) => b.string(field, LIMITS.idLength, { pattern: ID, what: 'an id (letters, digits, . _ : -)' });
/**
 * A class label: one visible character or a short name (image-folder classes), which becomes a
 * folder name on every platform the app ships to: no path separators, no control or format
 * characters (a newline, a right-to-left override), none of : * ? " < > | (Windows; `A:b` would
 * be an NTFS stream), not a Windows device name (CON, NUL, COM1…), no leading dot or space, no
 * trailing dot or space.
 */
const PAGE_NAME = /^(?=.*\S)[^/\\\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+$/u;
const LABEL = /^(?![\s.])(?!.*[\s.]$)[^/\\:*?"<>|\p{Cc}\p{Cf}\p{Zl}\p{Zp}]{1,32}$/u;
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
const labelField = (b: Body, field: string) => {
  const what = 'a class label: letters, digits or a short name, no slashes, controls, : * ? " < > |, no dot or space first or last';
  const label = b.string(field, 32, { pattern: LABEL, what });
  if (WINDOWS_DEVICE.test(label)) throw invalid(`${field} '${label}' is a device name on Windows, which no file or folder may have: choose another label`);
  return label;
};

/** The request's fields named as in TRAIN_OPTIONS (the dataset is the `data` option); ranges from there. */
const TRAIN_NUMBERS = ['epochs', 'learningRate', 'batchSize', 'momentum', 'limit', 'patience', 'seed'] as const;
const TRAIN_BOOLEANS = ['augment', 'balance'] as const;
const TRAIN_FIELDS: readonly (keyof TrainRequest)[] = ['arch', 'dataset', ...TRAIN_NUMBERS, ...TRAIN_BOOLEANS];

const checkers: { [K in RequestName]: { fields: readonly string[]; check: Checker<K> } } = {
  appInfo: { fields: [], check: () => ({}) },
  recognizePage: {
    fields: ['name', 'image', 'jobId', 'reader', 'sheet'],
    check: (b) => ({
      name: b.string('name', LIMITS.nameLength),
      image: b.bytes('image', LIMITS.imageBytes),
      ...(b.has('jobId') ? { jobId: idField(b, 'jobId') } : {}),
      ...(b.has('reader') ? { reader: b.oneOf('reader', PAGE_READERS) } : {}),
      ...(b.has('sheet') ? { sheet: b.corners('sheet') } : {}),
    }),
  },
  classifyGlyphs: {
    fields: ['glyphs', 'topK'],
    check: (b) => ({ glyphs: b.glyphs('glyphs'), ...(b.has('topK') ? { topK: b.number('topK', 1, LIMITS.topK, { integer: true }) } : {}) }),
  },
  classifyDrawing: {
    fields: ['ink', 'width', 'height', 'topK'],
    check: (b) => {
      const width = b.number('width', 1, LIMITS.drawingSide, { integer: true });
      const height = b.number('height', 1, LIMITS.drawingSide, { integer: true });
      const ink = b.bytes('ink', LIMITS.drawingSide * LIMITS.drawingSide);
      if (ink.length !== width * height) throw invalid(`classifyDrawing.ink holds ${ink.length} values, expected ${width} × ${height} = ${width * height}`);
      return { ink, width, height, ...(b.has('topK') ? { topK: b.number('topK', 1, LIMITS.topK, { integer: true }) } : {}) };
    },
  },
  reconstructGlyphs: { fields: ['glyphs'], check: (b) => ({ glyphs: b.glyphs('glyphs') }) },
  datasetSamples: {
    fields: ['perClass', 'seed'],
    check: (b) => ({
      perClass: b.number('perClass', 1, LIMITS.samplesPerClass, { integer: true }),
      ...(b.has('seed') ? { seed: b.number('seed', 0, 2 ** 31 - 1, { integer: true }) } : {}),
    }),
  },
  listModels: { fields: [], check: () => ({}) },
  activateModel: { fields: ['id'], check: (b) => ({ id: idField(b, 'id') }) },
  listDatasets: { fields: [], check: () => ({}) },
  startTraining: { fields: TRAIN_FIELDS, check: checkTrainRequest },
  cancelTraining: { fields: [], check: () => ({}) },
  resumeTraining: { fields: ['runId'], check: (b) => ({ runId: idField(b, 'runId') }) },
  discardRun: { fields: ['runId'], check: (b) => ({ runId: idField(b, 'runId') }) },
  trainingStatus: { fields: [], check: () => ({}) },
  runDetails: { fields: ['runId'], check: (b) => ({ runId: idField(b, 'runId') }) },
  saveSample: {
    fields: ['label', 'glyph', 'source', 'pageId', 'glyphId', 'predicted'],
    check: (b) => {
      const req = {
        label: labelField(b, 'label'),
        glyph: b.glyphs('glyph', { exactly: 1 }),
        source: b.oneOf('source', ['draw', 'scan', 'dataset'] as const),
        ...(b.has('pageId') ? { pageId: idField(b, 'pageId') } : {}),
        ...(b.has('glyphId') ? { glyphId: idField(b, 'glyphId') } : {}),
        ...(b.has('predicted') ? { predicted: b.string('predicted', 32) } : {}),
      };
      if ((req.pageId === undefined) !== (req.glyphId === undefined)) throw invalid('saveSample: give both pageId and glyphId, or neither');
      return req;
    },
  },
  listSamples: {
    fields: ['label', 'offset', 'limit'],
    check: (b) => ({
      ...(b.has('label') ? { label: labelField(b, 'label') } : {}),
      ...(b.has('offset') ? { offset: b.number('offset', 0, 10_000_000, { integer: true }) } : {}),
      ...(b.has('limit') ? { limit: b.number('limit', 1, LIMITS.samplesPerPage, { integer: true }) } : {}),
    }),
  },
  relabelSample: { fields: ['id', 'label'], check: (b) => ({ id: idField(b, 'id'), label: labelField(b, 'label') }) },
  deleteSample: { fields: ['id'], check: (b) => ({ id: idField(b, 'id') }) },
  startPersonalization: {
    fields: ['epochs', 'seed', 'onQueue'],
    check: (b) => ({
      epochs: b.number('epochs', 1, 200, { integer: true }),
      seed: b.number('seed', 0, 2 ** 31 - 1, { integer: true }),
      ...(b.has('onQueue') ? { onQueue: b.boolean('onQueue') } : {}),
    }),
  },
  takeOpenedFiles: { fields: [], check: () => ({}) },
  splitPdf: {
    fields: ['name', 'image'],
    check: (b) => ({ name: b.string('name', LIMITS.nameLength), image: b.bytes('image', LIMITS.imageBytes) }),
  },
  exportPage: {
    fields: ['pageId', 'format'],
    check: (b) => ({ pageId: idField(b, 'pageId'), format: b.oneOf('format', EXPORT_FORMATS) }),
  },
  correctGlyph: {
    fields: ['pageId', 'glyphId', 'label'],
    check: (b) => ({ pageId: idField(b, 'pageId'), glyphId: idField(b, 'glyphId'), label: labelField(b, 'label') }),
  },
  listPages: { fields: [], check: () => ({}) },
  openPage: { fields: ['pageId'], check: (b) => ({ pageId: idField(b, 'pageId') }) },
  renamePage: {
    fields: ['pageId', 'name'],
    check: (b) => ({
      pageId: idField(b, 'pageId'),
      // A page's name becomes its export files' names: no control characters, no path, not blank.
      name: b.string('name', LIMITS.nameLength, { pattern: PAGE_NAME, what: 'a name with something besides spaces, and no / \\ or control characters' }).trim(),
    }),
  },
  deletePage: { fields: ['pageId'], check: (b) => ({ pageId: idField(b, 'pageId') }) },
  queueStatus: {
    fields: ['batch'],
    check: (b) => ({ batch: b.string('batch', 64, { pattern: /^b[0-9a-z]+$/, what: 'a batch id as hwr queue add prints it (b…, letters and digits)' }) }),
  },
  editRow: {
    fields: ['pageId', 'row', 'text'],
    check: (b) => ({
      pageId: idField(b, 'pageId'),
      row: b.number('row', 0, LIMITS.rowsPerPage, { integer: true }),
      // Empty is a row's text too (the user deleted it).
      text: b.string('text', LIMITS.rowText, { empty: true }),
    }),
  },
};

function checkTrainRequest(b: Body): TrainRequest {
  const numbers = TRAIN_NUMBERS.map((name) => {
    const spec = TRAIN_OPTIONS[name];
    return [name, b.number(name, spec.min, spec.max, { integer: spec.kind === 'integer' })] as const;
  });
  return {
    arch: b.oneOf('arch', TRAIN_OPTIONS.arch.values),
    dataset: b.string('dataset', LIMITS.pathLength),
    ...(Object.fromEntries(numbers) as Record<(typeof TRAIN_NUMBERS)[number], number>),
    ...(Object.fromEntries(TRAIN_BOOLEANS.map((name) => [name, b.boolean(name)])) as Record<(typeof TRAIN_BOOLEANS)[number], boolean>),
  };
}

/** The request checked and typed, or a ContractError naming what is wrong. */
export function validateRequest<K extends RequestName>(name: K, payload: unknown): RequestOf<K> {
  const { fields, check } = checkers[name] as unknown as { fields: readonly string[]; check: Checker<K> };
  return check(new Body(name, payload, fields));
}
