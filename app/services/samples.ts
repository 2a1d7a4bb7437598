/**
 * The user's sample store: every glyph saved from the drawing canvas or corrected in a scan, as
 * HWR_HOME/samples/<label>/<id>.png (dark ink on white, as people expect to see it) with
 * <id>.json beside it; a lower-case letter's folder is `_x` (app/data/folder.ts), so `a` and `A`
 * stay apart where file names ignore case. The JSON holds the label, the time and where the
 * sample came from. The folder stays an image-folder dataset, so training and personalisation
 * read it as it is.
 *
 * Files, not a database: each write is one temp file renamed over its name (app/base/atomic.ts),
 * so a crash leaves a sample whole or absent; the images stay files the user can open and back
 * up; and there is no native module to rebuild for Electron. A sample's two files are written
 * one after the other, so `repair` (run when the store opens) settles what a crash between them
 * leaves; the order of the writes makes that possible:
 *
 * - save:    PNG, then JSON. A PNG without its JSON is kept, labelled by its folder (only the
 *            provenance is lost: source 'unknown').
 * - relabel: PNG moved (one rename), then the JSON written in the new folder, then the old JSON
 *            removed. A PNG without JSON whose JSON sits in another folder is a relabel to finish.
 * - delete:  PNG, then JSON. A JSON without any PNG is what a delete leaves: removed.
 * - temp files of writes that were cut short are removed.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { isAtomicTemp, makeDirectory, syncFolder, writeFileAtomic } from '../base/atomic.ts';
import { ContractError, GLYPH_SIDE, GLYPH_VALUES, type SampleInfo, type SampleSource } from '../contract.ts';
import { frameGlyph } from '../image/frame.ts';
import { folderLabel, labelFolder } from '../data/folder.ts';
import { decodeImage, encodeImage } from '../image/decode.ts';

export interface SampleProvenance {
  source: SampleSource;
  predicted?: string;
  model?: string;
  page?: { name: string; box: { x: number; y: number; width: number; height: number } };
}

/** What <id>.json holds. */
interface SampleRecord extends SampleProvenance {
  label: string;
  savedAt: string;
  relabeledFrom?: string;
}

/** Ids the store makes (time first, so they sort by time) and the names it accepts from elsewhere. */
const SAMPLE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface RepairReport {
  /** PNGs that had lost their JSON (a save or a relabel cut short), now samples again. */
  recovered: string[];
  /** Files a cut-short write or delete left: temp files, JSONs without an image. */
  removed: string[];
}

export interface SampleList {
  total: number;
  counts: Record<string, number>;
  samples: SampleInfo[];
}

export class SampleStore {
  constructor(readonly dir: string) {}

  /** Settles what a crash between the two writes of a sample left (see the file comment). */
  repair(): RepairReport {
    const report: RepairReport = { recovered: [], removed: [] };
    const labels = this.labels();
    const jsonsById = new Map<string, string[]>();
    for (const label of labels) {
      const folder = join(this.dir, labelFolder(label));
      for (const name of readdirSync(folder)) {
        if (isAtomicTemp(name)) {
          rmSync(join(folder, name), { force: true });
          report.removed.push(join(label, name));
        } else if (name.endsWith('.json')) {
          const id = basename(name, '.json');
          jsonsById.set(id, [...(jsonsById.get(id) ?? []), label]);
        }
      }
    }
    const pngLabel = new Map<string, string>();
    for (const label of labels) {
      for (const name of readdirSync(join(this.dir, labelFolder(label)))) {
        const id = basename(name, '.png');
        if (!name.endsWith('.png') || !SAMPLE_ID.test(id)) continue;
        pngLabel.set(id, label);
        const jsonLabels = jsonsById.get(id) ?? [];
        if (jsonLabels.includes(label)) continue;
        // A relabel cut short left the JSON in the old folder: carry it over, with the new label.
        const from = jsonLabels[0];
        const previous = from ? readRecord(join(this.dir, labelFolder(from), `${id}.json`)) : null;
        const record: SampleRecord = previous
          ? { ...previous, label, relabeledFrom: previous.label }
          : { label, savedAt: statSync(join(this.dir, labelFolder(label), name)).mtime.toISOString(), source: 'unknown' };
        writeFileAtomic(join(this.dir, labelFolder(label), `${id}.json`), json(record), { durable: true });
        report.recovered.push(join(label, name));
      }
    }
    for (const [id, jsonLabels] of jsonsById) {
      for (const label of jsonLabels) {
        if (pngLabel.get(id) === label || !SAMPLE_ID.test(id)) continue;
        rmSync(join(this.dir, labelFolder(label), `${id}.json`), { force: true });
        report.removed.push(join(label, `${id}.json`));
      }
    }
    return report;
  }

  async save(label: string, glyph: Float32Array, provenance: SampleProvenance): Promise<{ id: string; path: string; count: number }> {
    const id = newSampleId();
    const dir = join(this.dir, labelFolder(label));
    const path = join(dir, `${id}.png`);
    writeFileAtomic(path, await glyphPng(glyph), { durable: true });
    // The label file last: a sample with its JSON is complete.
    writeFileAtomic(join(dir, `${id}.json`), json({ label, savedAt: new Date().toISOString(), ...provenance }), { durable: true });
    return { id, path, count: this.imagesIn(label).length };
  }

  /** Samples newest first, optionally of one label, a page at a time. */
  list(options: { label?: string; offset?: number; limit?: number } = {}): SampleList {
    const counts: Record<string, number> = {};
    const all: SampleInfo[] = [];
    for (const label of this.labels()) {
      const samples = this.samplesIn(label);
      if (samples.length) counts[label] = samples.length;
      if (options.label === undefined || options.label === label) all.push(...samples);
    }
    all.sort((a, b) => (a.savedAt === b.savedAt ? (a.id < b.id ? 1 : -1) : a.savedAt < b.savedAt ? 1 : -1));
    const offset = options.offset ?? 0;
    const samples = all.slice(offset, offset + (options.limit ?? all.length));
    return { total: all.length, counts, samples };
  }

  /**
   * The glyphs of the given samples, GLYPH_VALUES values each with ink = 1, in order. A sample
   * whose image cannot be read (a damaged PNG) is blank here, and named in `damaged`: one bad
   * file does not hide the others.
   */
  async glyphs(samples: readonly SampleInfo[]): Promise<{ glyphs: Float32Array; damaged: Set<string> }> {
    const out = new Float32Array(samples.length * GLYPH_VALUES);
    const damaged = new Set<string>();
    for (const [k, s] of samples.entries()) {
      try {
        out.set(await readGlyph(join(this.dir, labelFolder(s.label), `${s.id}.png`)), k * GLYPH_VALUES);
      } catch {
        damaged.add(s.id);
      }
    }
    return { glyphs: out, damaged };
  }

  /** Every sample with its glyph, oldest first; damaged ones (see glyphs) left out. */
  async readAll(): Promise<{ samples: SampleInfo[]; glyphs: Float32Array }> {
    const all = this.list().samples.reverse();
    const { glyphs, damaged } = await this.glyphs(all);
    const kept = all.flatMap((s, k) => (damaged.has(s.id) ? [] : [k]));
    const out = new Float32Array(kept.length * GLYPH_VALUES);
    kept.forEach((k, i) => out.set(glyphs.subarray(k * GLYPH_VALUES, (k + 1) * GLYPH_VALUES), i * GLYPH_VALUES));
    return { samples: kept.map((k) => all[k]!), glyphs: out };
  }

  get(id: string): SampleInfo {
    const label = this.labelOf(id);
    return toInfo(id, label, readRecord(join(this.dir, labelFolder(label), `${id}.json`)) ?? { label, savedAt: '', source: 'unknown' });
  }

  relabel(id: string, label: string): SampleInfo {
    const from = this.labelOf(id);
    if (from === label) return this.get(id);
    const record = readRecord(join(this.dir, labelFolder(from), `${id}.json`)) ?? { label: from, savedAt: new Date().toISOString(), source: 'unknown' };
    const target = join(this.dir, labelFolder(label));
    if (existsSync(join(target, `${id}.png`))) throw new ContractError('busy', `a sample '${id}' is already filed under '${label}'`);
    makeDirectory(target);
    renameSync(join(this.dir, labelFolder(from), `${id}.png`), join(target, `${id}.png`));
    syncFolder(target);
    const updated: SampleRecord = { ...record, label, relabeledFrom: record.label };
    writeFileAtomic(join(target, `${id}.json`), json(updated), { durable: true });
    rmSync(join(this.dir, labelFolder(from), `${id}.json`), { force: true });
    syncFolder(join(this.dir, labelFolder(from)));
    this.removeIfEmpty(from);
    return toInfo(id, label, updated);
  }

  delete(id: string): void {
    const label = this.labelOf(id);
    rmSync(join(this.dir, labelFolder(label), `${id}.png`), { force: true });
    rmSync(join(this.dir, labelFolder(label), `${id}.json`), { force: true });
    syncFolder(join(this.dir, labelFolder(label)));
    this.removeIfEmpty(label);
  }

  /** The label folder holding the sample's image, or not-found. */
  private labelOf(id: string): string {
    if (!SAMPLE_ID.test(id)) throw new ContractError('invalid-request', `'${id}' is not a sample id`);
    for (const label of this.labels()) if (existsSync(join(this.dir, labelFolder(label), `${id}.png`))) return label;
    throw new ContractError('not-found', `no sample '${id}' (it may have been deleted)`);
  }

  private labels(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => folderLabel(e.name))
      .sort();
  }

  private imagesIn(label: string): string[] {
    return readdirSync(join(this.dir, labelFolder(label))).filter((f) => f.endsWith('.png') && SAMPLE_ID.test(basename(f, '.png')));
  }

  /** Complete samples only: an image with its JSON. */
  private samplesIn(label: string): SampleInfo[] {
    const folder = join(this.dir, labelFolder(label));
    const names = new Set(readdirSync(folder));
    const out: SampleInfo[] = [];
    for (const name of names) {
      if (extname(name) !== '.png') continue;
      const id = basename(name, '.png');
      if (!SAMPLE_ID.test(id) || !names.has(`${id}.json`)) continue;
      const record = readRecord(join(folder, `${id}.json`));
      if (record) out.push(toInfo(id, label, record));
    }
    return out;
  }

  private removeIfEmpty(label: string): void {
    try {
      if (readdirSync(join(this.dir, labelFolder(label))).length === 0) rmdirSync(join(this.dir, labelFolder(label)));
    } catch {
      // Not empty after all, or gone: either is fine.
    }
  }
}

/** Time first, so ids sort by when the sample was saved. */
function newSampleId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:.]/g, '').replace('T', '-').slice(0, 15)}-${Math.random().toString(36).slice(2, 8).padEnd(6, '0')}`;
}

function json(record: SampleRecord): string {
  return JSON.stringify(record, null, 2) + '\n';
}

function readRecord(path: string): SampleRecord | null {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<SampleRecord>;
    if (typeof parsed !== 'object' || parsed === null) return null;
    return { ...parsed, label: String(parsed.label ?? ''), savedAt: String(parsed.savedAt ?? ''), source: parsed.source ?? 'unknown' } as SampleRecord;
  } catch {
    return null;
  }
}

function toInfo(id: string, label: string, record: SampleRecord): SampleInfo {
  const info: SampleInfo = { id, label, source: record.source, savedAt: record.savedAt };
  if (record.predicted !== undefined) info.predicted = record.predicted;
  if (record.model !== undefined) info.model = record.model;
  if (record.page?.name !== undefined) info.pageName = record.page.name;
  if (record.relabeledFrom !== undefined) info.relabeledFrom = record.relabeledFrom;
  return info;
}

async function glyphPng(glyph: Float32Array): Promise<Buffer> {
  const data = new Uint8Array(GLYPH_SIDE * GLYPH_SIDE);
  for (let i = 0; i < data.length; i++) data[i] = Math.round(255 * (1 - Math.min(1, Math.max(0, glyph[i]!))));
  return encodeImage({ width: GLYPH_SIDE, height: GLYPH_SIDE, channels: 1, data }, 'png');
}

/** A stored glyph back as ink; an image of another size (copied in by hand) is framed as the datasets are. */
async function readGlyph(path: string): Promise<Float32Array> {
  const image = await decodeImage(path);
  const ink = new Float32Array(image.width * image.height);
  for (let i = 0; i < ink.length; i++) ink[i] = 1 - image.data[i]!;
  return image.width === GLYPH_SIDE && image.height === GLYPH_SIDE ? ink : frameGlyph(ink, image.width, image.height);
}
