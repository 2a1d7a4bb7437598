/**
 * The datasets the Train view offers (the shared EMNIST pool, the course's NIST .mat, the Copiste
 * pages for the line recogniser, the user's own samples) and glyphs drawn from the pool for the
 * autoencoder view.
 */
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { ContractError, GLYPH_VALUES, type DatasetInfo, CLASSES_36 } from '../contract.ts';
import { findPoolParts } from '../data/emnist-pool.ts';
import { bytesToGlyphs, readIdxImages, readIdxLabels, type IdxImages } from '../data/idx.ts';
import { createRng } from '../base/random.ts';

export class Datasets {
  /** One pool part, read once: enough glyphs of every class for sample grids. */
  private part: { images: IdxImages; labels: Int32Array; source: string } | null = null;

  constructor(
    private readonly sharedData: string | null,
    private readonly samplesDir: string,
    /** Where else datasets may be read from (the data folder and the shared data always). */
    private readonly extraRoots: readonly string[] = [],
  ) {}

  list(): DatasetInfo[] {
    const shared = this.sharedData;
    const pool = shared ? join(shared, 'emnist36') : '';
    const nist = shared ? join(shared, 'nist26', 'nist26_valid.mat') : '';
    const copiste = shared ? join(shared, 'copiste') : '';
    const sampleClasses = existsSync(this.samplesDir) ? readdirSync(this.samplesDir).filter((d) => statSync(join(this.samplesDir, d)).isDirectory()) : [];
    return [
      {
        id: 'emnist36',
        name: 'EMNIST36 pool',
        description: '85,664 handwritten capitals and digits, 36 classes (EMNIST ByClass test split, Cohen et al. 2017)',
        path: pool,
        available: Boolean(pool && existsSync(pool)),
      },
      {
        id: 'nist26',
        name: 'NIST26 (course .mat)',
        description: '1,300 letters A–Z in the course MATLAB format',
        path: nist,
        available: Boolean(nist && existsSync(nist)),
      },
      {
        id: 'copiste',
        name: 'Copiste pages (line recogniser)',
        description: "300 handwritten pages by ~230 writers with ALTO lines, for --arch crnn (« Copiste d'un jour », BAnQ, CC-BY 4.0)",
        path: copiste,
        available: Boolean(copiste && existsSync(copiste)),
      },
      {
        id: 'samples',
        name: 'My samples',
        description: `Glyphs you drew or corrected, one folder per class (${sampleClasses.length} classes so far)`,
        path: this.samplesDir,
        available: sampleClasses.length >= 2,
      },
    ];
  }

  /** A dataset id, or a path the readers understand (absolute, or relative to the working folder). */
  resolve(dataset: string): { data: string } {
    const known = this.list().find((d) => d.id === dataset);
    if (known) {
      if (!known.available) throw new ContractError('unavailable', `${known.name} is not available here (${known.path || 'no ../shared/data'})`);
      return { data: known.path };
    }
    const path = isAbsolute(dataset) ? dataset : resolve(dataset);
    // A request names a dataset, not any path on the machine: it must lie in the data folder, the
    // shared data or a folder the user named (HWR_DATASETS, the app's options), links resolved.
    const real = (p: string) => (existsSync(p) ? realpathSync(p) : resolve(p));
    const roots = [this.sharedData, dirname(this.samplesDir), ...this.extraRoots].filter((r): r is string => !!r).map(real);
    const where = real(path);
    if (!roots.some((r) => where === r || where.startsWith(r.endsWith(sep) ? r : r + sep)))
      throw new ContractError(
        'invalid-request',
        `the dataset '${dataset}' is outside the folders datasets are read from (the data folder, ../shared/data, HWR_DATASETS): ` +
          'put it (or a link to it) in the data folder, or train on it with hwr train --data DIR',
      );
    if (!existsSync(path))
      throw new ContractError(
        'not-found',
        `no dataset '${dataset}': give a dataset id (${this.list()
          .map((d) => d.id)
          .join(', ')}) or the path of a dataset folder or file`,
      );
    return { data: path };
  }

  /** `perClass` glyphs of each of the 36 classes from one part of the EMNIST pool. */
  samples(perClass: number, seed = 1): { source: string; classes: string[]; labels: number[]; glyphs: Float32Array } {
    const part = this.loadPart();
    const byClass: number[][] = CLASSES_36.map(() => []);
    for (let i = 0; i < part.labels.length; i++) byClass[part.labels[i]!]?.push(i);
    const rng = createRng(seed);
    const picks: number[] = [];
    const labels: number[] = [];
    byClass.forEach((members, label) => {
      rng.shuffle(members);
      for (const i of members.slice(0, perClass)) {
        picks.push(i);
        labels.push(label);
      }
    });
    const size = part.images.height * part.images.width;
    const chosen: IdxImages = { ...part.images, count: picks.length, pixels: new Uint8Array(picks.length * size) };
    picks.forEach((i, k) => chosen.pixels.set(part.images.pixels.subarray(i * size, (i + 1) * size), k * size));
    const glyphs = new Float32Array(picks.length * GLYPH_VALUES);
    bytesToGlyphs(chosen, false, glyphs, 0);
    return { source: part.source, classes: [...CLASSES_36], labels, glyphs };
  }

  private loadPart() {
    if (this.part) return this.part;
    const pool = this.sharedData ? join(this.sharedData, 'emnist36') : null;
    if (!pool || !existsSync(pool))
      throw new ContractError('unavailable', 'the EMNIST pool (../shared/data/emnist36) is not here, so there are no dataset glyphs to show');
    const parts = findPoolParts(pool);
    const last = parts.at(-1);
    if (!last) throw new ContractError('unavailable', `${pool} holds no pool parts`);
    this.part = { images: readIdxImages(last.images), labels: readIdxLabels(last.labels), source: last.images };
    return this.part;
  }
}
