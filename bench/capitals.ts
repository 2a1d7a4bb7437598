/**
 * Block capitals as `hwr ocr` reads them, with the shipped models: pages whose letters touch,
 * overlap or stand apart (ten pages each, composed of EMNIST pool part 5 on seeds the tests do not
 * use: tests/ocr/synthetic.ts capitalsPage), and names cut from forms (40 crops each: bare, beside a printed label, in a comb of one
 * cell per letter; tests/helpers/form-crops.ts). The goals (issue 12): 5% CER on touching
 * capitals; 5% CER and 80% of the names exactly right on form crops.
 *
 *   npm run bench -- capitals
 */
import { join } from 'node:path';
import { defaultLineModelPath } from '../app/base/model-files.ts';
import { sharedDataDir } from '../app/base/paths.ts';
import { readDocument } from '../app/cli/ocr.ts';
import { CLASSES_36 } from '../app/contract.ts';
import { loadIdx } from '../app/data/idx.ts';
import { encodeImage } from '../app/image/decode.ts';
import { cer, cerCount, type CerCount } from '../app/recognize/cer.ts';
import { LineReader } from '../app/recognize/line-reader.ts';
import { loadDefaultClassifier } from '../app/recognize/recognizer.ts';
import { FORM_LABELS, LABEL_FONTS, nameCrop } from '../tests/helpers/form-crops.ts';
import { capitalsPage, emnistRaster, rng } from '../tests/ocr/synthetic.ts';

type Figure = { name: string; value: number; unit: string };

const SURNAMES = (
  'MARTIN BERNARD DUBOIS THOMAS ROBERT RICHARD PETIT DURAND LEROY MOREAU SIMON LAURENT LEFEBVRE MICHEL GARCIA DAVID BERTRAND ROUX ' +
  'VINCENT FOURNIER SMITH JOHNSON WILLIAMS BROWN JONES MILLER DAVIS WILSON ANDERSON TAYLOR TREMBLAY GAGNON ROY COTE BOUCHARD ' +
  'GAUTHIER MORIN LAVOIE FORTIN GAGNE'
).split(' ');
const FIRST_NAMES = 'JEAN MARIE PIERRE ANNE LUC SOPHIE JOHN MARY PAUL CLAIRE'.split(' ');
const PAGES = 10;
const CROPS = 40;

export async function benchCapitals(): Promise<Figure[]> {
  const data = sharedDataDir();
  if (!data) throw new Error('needs ../shared/data (EMNIST capitals)');
  const part = join(data, 'emnist36', 'emnist36-pool-part5');
  const set = loadIdx(`${part}-images-idx3-ubyte.gz`, `${part}-labels-idx1-ubyte.gz`, { classes: CLASSES_36 });
  const raster = emnistRaster(set.pixels, set.labels, CLASSES_36);
  const readers = { classifier: await loadDefaultClassifier(), lines: await LineReader.load(defaultLineModelPath()) };
  const read = async (png: Buffer, name: string) => {
    try {
      return Buffer.from((await readDocument(png, name, 'text', readers)).bytes).toString('utf8');
    } catch {
      return '';
    }
  };
  const figures: Figure[] = [];
  try {
    for (const [name, gap] of [
      ['touching', 0],
      ['overlapping', -0.08],
      ['spaced', 0.3],
    ] as const) {
      const counts: CerCount[] = [];
      for (let p = 0; p < PAGES; p++) {
        const page = capitalsPage(raster, gap, 2000 + p, p);
        counts.push(cerCount(await read(Buffer.from(await encodeImage(page.image, 'png')), `${name}-${p}.png`), page.rows.join('\n')));
      }
      figures.push({ name: `capitals_${name}_cer`, value: cer(counts), unit: `(${PAGES} pages of EMNIST capitals, letters ${gap} character heights apart)` });
    }
    for (const kind of ['bare', 'labelled', 'comb'] as const) {
      const counts: CerCount[] = [];
      let exact = 0;
      for (let k = 0; k < CROPS; k++) {
        const random = rng(5000 + k);
        const pick = (list: readonly string[]) => list[Math.floor(random() * list.length)]!;
        const name = random() < 0.4 ? `${pick(FIRST_NAMES)} ${pick(SURNAMES)}` : pick(SURNAMES);
        const png = await nameCrop({
          name,
          raster,
          random,
          label: kind === 'labelled' ? FORM_LABELS[k % FORM_LABELS.length] : undefined,
          font: LABEL_FONTS[k % LABEL_FONTS.length],
          letterGap: random() < 0.5 ? 0.25 : random() * 0.15,
          line: kind === 'comb' ? 'comb' : (['none', 'solid', 'dotted'] as const)[k % 3]!,
        });
        const text = (await read(png, `name-${k}.png`)).trim().split(/\s+/).join(' ');
        counts.push(cerCount(text, name));
        if (text === name) exact++;
      }
      figures.push({ name: `form_names_${kind}_cer`, value: cer(counts), unit: `(${CROPS} crops)` });
      figures.push({ name: `form_names_${kind}_exact`, value: exact / CROPS, unit: `(share of the ${CROPS} names read exactly right)` });
    }
  } finally {
    await readers.classifier.close();
    await readers.lines.close();
  }
  return figures;
}
