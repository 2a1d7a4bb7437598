/**
 * Capture conditions made from a page image, as phones and scanners deliver pages: a sheet on a
 * desk in perspective, a skewed scan, a hand's shadow, ruled or squared paper, a small over-compressed
 * photo, a page turned with and without EXIF. Each is deterministic (seeded), and written as the
 * file a person would drop on hwr.
 */
import sharp from 'sharp';
import { createRng } from '../../app/base/random.ts';
import type { GrayImage, Point } from '../../app/image/gray.ts';
import { homography } from '../../app/image/perspective.ts';
import { sampleBilinear } from '../../app/image/resample.ts';
import { rotateImage } from '../../app/image/skew.ts';
import { encodeImage } from '../../app/image/decode.ts';

export type Condition = 'desk' | 'skewed' | 'shadow' | 'ruled' | 'squared' | 'small' | 'turned' | 'turned-exif';
export const CONDITIONS: readonly Condition[] = ['desk', 'skewed', 'shadow', 'ruled', 'squared', 'small', 'turned', 'turned-exif'];

/** The page (brightness 0..1, paper white) as a file under `condition`. */
export async function capture(page: GrayImage, condition: Condition, seed = 1): Promise<Buffer> {
  const rng = createRng(seed);
  switch (condition) {
    case 'desk':
      return encodeImage(onDesk(page, rng), 'jpeg', 85);
    case 'skewed':
      // A page photographed with the camera turned 10–15°: paper all round.
      return encodeImage(rotateImage(page, (rng.next() < 0.5 ? -1 : 1) * (10 + 5 * rng.next()), 'edge'), 'png');
    case 'shadow':
      return encodeImage(shadow(page, rng), 'jpeg', 85);
    case 'ruled':
      return encodeImage(ruled(page), 'png');
    case 'squared':
      return encodeImage(ruled(page, true), 'png');
    case 'small': {
      const png = await encodeImage(page, 'png');
      const side = 700;
      return sharp(png).resize({ width: side, height: side, fit: 'inside' }).jpeg({ quality: 25 }).toBuffer();
    }
    case 'turned':
      return sharp(await encodeImage(page, 'png'))
        .rotate(90)
        .png()
        .toBuffer();
    case 'turned-exif':
      // Pixels turned a quarter anticlockwise, and the tag that says to turn them back clockwise.
      return sharp(await encodeImage(page, 'png'))
        .rotate(270)
        .withMetadata({ orientation: 6 })
        .jpeg({ quality: 90 })
        .toBuffer();
  }
}

/** The page on a dark wooden desk, photographed from above and a little to one side; `corners`: where the page's corners are. */
export function onDesk(page: GrayImage, rng = createRng(1)): GrayImage & { corners: Point[] } {
  const [pw, ph] = [page.width, page.height];
  const W = Math.round(pw * 1.35);
  const H = Math.round(ph * 1.3);
  const j = () => (rng.next() - 0.5) * 0.12;
  // Where the page's corners land: a trapezium (the far edge shorter), jittered.
  const corners: Point[] = [
    { x: W * (0.17 + j()), y: H * (0.1 + j()) },
    { x: W * (0.83 + j()), y: H * (0.12 + j()) },
    { x: W * (0.92 + j()), y: H * (0.9 + j()) },
    { x: W * (0.08 + j()), y: H * (0.88 + j()) },
  ];
  const toPage = homography(corners, [
    { x: 0, y: 0 },
    { x: pw - 1, y: 0 },
    { x: pw - 1, y: ph - 1 },
    { x: 0, y: ph - 1 },
  ]);
  const out = new Float32Array(W * H);
  const grain = rng.next() * 10;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const w = toPage[6]! * x + toPage[7]! * y + toPage[8]!;
      const sx = (toPage[0]! * x + toPage[1]! * y + toPage[2]!) / w;
      const sy = (toPage[3]! * x + toPage[4]! * y + toPage[5]!) / w;
      const desk = 0.32 + 0.06 * Math.sin((y + 8 * Math.sin(x / 40 + grain)) / 6) + 0.04 * (rng.next() - 0.5);
      out[y * W + x] = sx >= 0 && sy >= 0 && sx <= pw - 1 && sy <= ph - 1 ? 0.95 * sampleBilinear(page.data, pw, ph, sx, sy) : desk;
    }
  return { width: W, height: H, data: out, corners };
}

/** A soft shadow (a hand or a phone) darkening a third of the page to about half. */
export function shadow(page: GrayImage, rng = createRng(1)): GrayImage {
  const { width: w, height: h } = page;
  const cx = w * (0.2 + 0.6 * rng.next());
  const r = Math.max(w, h) * 0.35;
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const d = Math.hypot(x - cx, y - h) / r;
      const dim = d < 1 ? 0.5 + 0.5 * Math.min(1, Math.max(0, (d - 0.6) / 0.4)) : 1;
      out[y * w + x] = page.data[y * w + x]! * dim;
    }
  return { width: w, height: h, data: out };
}

/** Ruled paper: a pale line every 1/24 of the page's height, behind the writing (squared: down too, a grid). */
export function ruled(page: GrayImage, squared = false): GrayImage {
  const { width: w, height: h } = page;
  const gap = Math.max(12, Math.round(h / 24));
  const out = page.data.slice();
  const thick = Math.max(1, Math.round(h / 900));
  const darken = (i: number) => (out[i] = Math.min(out[i]!, 0.72));
  for (let y = gap; y + thick <= h; y += gap) for (let dy = 0; dy < thick; dy++) for (let x = 0; x < w; x++) darken((y + dy) * w + x);
  // Squared paper: the same lines across, as a grid of squares.
  if (squared) for (let x = gap; x + thick <= w; x += gap) for (let dx = 0; dx < thick; dx++) for (let y = 0; y < h; y++) darken(y * w + x + dx);
  return { width: w, height: h, data: out };
}
