import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPageXml } from '../../app/data/page-xml.ts';
import { inkMap } from '../../app/image/background.ts';
import { decodeImage } from '../../app/image/decode.ts';
import type { GrayImage, Point } from '../../app/image/gray.ts';
import { cutLine, LINE_HEIGHT } from '../../app/image/line-image.ts';
import { sharedDataForTests } from '../helpers/shared-data.ts';

const curve = (x: number) => 150 + 25 * Math.sin(x / 90);

/** An ink page with a wavy line of strokes standing on `curve`, and strokes of a line above it. */
function wavyPage(): GrayImage {
  const [width, height] = [700, 260];
  const data = new Float32Array(width * height);
  for (let x = 40; x < 660; x++) {
    if (x % 14 >= 4) continue; // 4-px strokes every 14 px
    const base = Math.round(curve(x));
    for (let y = base - 20; y < base; y++) data[y * width + x] = 1;
    for (let y = base - 75; y < base - 52; y++) data[y * width + x] = 1; // the line above
  }
  return { width, height, data };
}

function wavyLine(): { polygon: Point[]; baseline: Point[] } {
  const xs = Array.from({ length: 33 }, (_, i) => 30 + i * 20);
  const baseline = xs.map((x) => ({ x, y: curve(x) }));
  const top = xs.map((x) => ({ x, y: curve(x) - 32 }));
  const bottom = xs.map((x) => ({ x, y: curve(x) + 10 })).reverse();
  return { polygon: [...top, ...bottom], baseline };
}

describe('cutLine', () => {
  it('straightens a wavy line: the strokes stand on one row across the whole line', () => {
    const line = cutLine(wavyPage(), wavyLine());
    expect(line.height).toBe(LINE_HEIGHT);
    // The foot of each stroke: the lowest inked row over a run of inked columns.
    const feet: number[] = [];
    let foot = -1;
    for (let x = 0; x <= line.width; x++) {
      let last = -1;
      for (let y = 0; x < line.width && y < line.height; y++) if (line.data[y * line.width + x]! > 0.5) last = y;
      if (last >= 0) foot = Math.max(foot, last);
      else if (foot >= 0) {
        feet.push(foot);
        foot = -1;
      }
    }
    expect(feet.length).toBeGreaterThan(40);
    // On the page the baseline moves by 50 px; cut out, every stroke stands on the same row.
    expect(Math.max(...feet) - Math.min(...feet)).toBeLessThanOrEqual(2);
  });

  it('keeps out the ink of the neighbouring line', () => {
    const page = wavyPage();
    const alone = { ...page, data: page.data.map((v, i) => ((i % page.width) % 14 < 4 && Math.floor(i / page.width) < curve(i % page.width) - 40 ? 0 : v)) };
    const a = cutLine(page, wavyLine());
    const b = cutLine(alone, wavyLine());
    expect(a.width).toBe(b.width);
    expect(Math.max(...a.data.map((v, i) => Math.abs(v - b.data[i]!)))).toBeLessThan(1e-6);
  });

  it('scales to the asked height, width in proportion, and refuses a degenerate outline', () => {
    const tall = cutLine(wavyPage(), wavyLine(), 96);
    const short = cutLine(wavyPage(), wavyLine(), 48);
    expect(tall.height).toBe(96);
    expect(Math.abs(tall.width - 2 * short.width)).toBeLessThanOrEqual(1);
    expect(() =>
      cutLine(wavyPage(), {
        polygon: [
          { x: 0, y: 0 },
          { x: 1, y: 1 },
        ],
        baseline: [],
      }),
    ).toThrow(/at least 3 points/);
  });
});

describe('cutLine on real pages', () => {
  const data = sharedDataForTests();
  it.runIf(data)('every line of a Copiste page comes out with ink, as long as its outline', async () => {
    const name = 'imp_wikitexte_0022';
    const { page } = readPageXml(readFileSync(join(data!, 'copiste', 'alto', `${name}.xml`), 'utf8'), name);
    const image = await decodeImage(join(data!, 'copiste', 'jpg', `${name}.jpg`));
    expect([image.width, image.height]).toEqual([page.width, page.height]);
    const ink = inkMap(image);
    const lines = page.regions.flatMap((r) => r.lines);
    expect(lines.length).toBeGreaterThan(15);
    for (const l of lines) {
      const img = cutLine(ink, l);
      const xs = l.polygon.map((p) => p.x);
      const inked = img.data.filter((v) => v > 0.5).length / img.data.length;
      expect(inked, `${l.id}: ${l.text}`).toBeGreaterThan(0.01);
      expect(inked, l.id).toBeLessThan(0.4);
      const aspect = img.width / img.height;
      expect(aspect, l.id).toBeGreaterThan(((Math.max(...xs) - Math.min(...xs)) / 130) * 0.8);
    }
  });
});
