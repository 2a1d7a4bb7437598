/**
 * Words as a person writes them with a pen, for tests of the writing pad: a small single-stroke
 * lower-case hand (a–z and the space), each letter a few strokes of points, baseline at y = 0,
 * x-height 1, ascenders to 1.8, descenders to −0.7 (y grows downwards on screen, so these are
 * negated). Not a font for reading: a stand-in for a hand on a tablet.
 */
/** A pen stroke: points in pad pixels (the renderer's Stroke). */
export type Stroke = { x: number; y: number; pressure: number }[];

type Path = [number, number][];

/** An arc around (cx, cy) of radii rx, ry from angle a0 to a1 (degrees, 0 = right, 90 = up). */
function arc(cx: number, cy: number, rx: number, ry: number, a0: number, a1: number, n = 14): Path {
  return Array.from({ length: n + 1 }, (_, i) => {
    const a = ((a0 + ((a1 - a0) * i) / n) * Math.PI) / 180;
    return [cx + rx * Math.cos(a), cy + ry * Math.sin(a)] as [number, number];
  });
}

const bowl = (cx: number): Path => arc(cx, 0.5, 0.35, 0.5, 20, 380);

/** Letter → [strokes, advance]. Coordinates: x right, y up from the baseline. */
const LETTERS: Record<string, [Path[], number]> = {
  a: [
    [
      arc(0.35, 0.5, 0.35, 0.5, 60, 400),
      [
        [0.7, 1],
        [0.7, 0],
      ],
    ],
    0.8,
  ],
  b: [
    [
      [
        [0, 1.8],
        [0, 0],
      ],
      arc(0.35, 0.5, 0.35, 0.5, 180, 540),
    ],
    0.8,
  ],
  c: [[arc(0.35, 0.5, 0.35, 0.5, 50, 310)], 0.7],
  d: [
    [
      bowl(0.35),
      [
        [0.7, 1.8],
        [0.7, 0],
      ],
    ],
    0.8,
  ],
  e: [[[[0.02, 0.5], [0.7, 0.5], ...arc(0.35, 0.5, 0.35, 0.5, 0, 320)]], 0.8],
  f: [
    [
      [...arc(0.45, 1.5, 0.25, 0.3, 30, 180), [0.2, 0]],
      [
        [0, 1],
        [0.5, 1],
      ],
    ],
    0.55,
  ],
  g: [[bowl(0.35), [[0.7, 1], [0.7, -0.4], ...arc(0.35, -0.4, 0.35, 0.3, 0, -160)]], 0.8],
  h: [
    [
      [
        [0, 1.8],
        [0, 0],
      ],
      [[0, 0.6], ...arc(0.35, 0.6, 0.35, 0.4, 180, 0), [0.7, 0]],
    ],
    0.8,
  ],
  i: [
    [
      [
        [0, 1],
        [0, 0],
      ],
      [
        [0, 1.45],
        [0, 1.5],
      ],
    ],
    0.3,
  ],
  j: [
    [
      [[0.3, 1], [0.3, -0.4], ...arc(0.05, -0.4, 0.25, 0.3, 0, -160)],
      [
        [0.3, 1.45],
        [0.3, 1.5],
      ],
    ],
    0.5,
  ],
  k: [
    [
      [
        [0, 1.8],
        [0, 0],
      ],
      [
        [0.6, 1],
        [0, 0.4],
        [0.65, 0],
      ],
    ],
    0.7,
  ],
  l: [
    [
      [
        [0, 1.8],
        [0, 0],
      ],
    ],
    0.3,
  ],
  m: [
    [
      [
        [0, 1],
        [0, 0],
      ],
      [[0, 0.6], ...arc(0.3, 0.6, 0.3, 0.4, 180, 0), [0.6, 0]],
      [[0.6, 0.6], ...arc(0.9, 0.6, 0.3, 0.4, 180, 0), [1.2, 0]],
    ],
    1.3,
  ],
  n: [
    [
      [
        [0, 1],
        [0, 0],
      ],
      [[0, 0.6], ...arc(0.35, 0.6, 0.35, 0.4, 180, 0), [0.7, 0]],
    ],
    0.8,
  ],
  o: [[arc(0.38, 0.5, 0.38, 0.5, 90, 450)], 0.85],
  p: [
    [
      [
        [0, 1],
        [0, -0.7],
      ],
      arc(0.35, 0.5, 0.35, 0.5, 180, 540),
    ],
    0.8,
  ],
  q: [
    [
      bowl(0.35),
      [
        [0.7, 1],
        [0.7, -0.7],
      ],
    ],
    0.8,
  ],
  r: [
    [
      [
        [0, 1],
        [0, 0],
      ],
      [[0, 0.6], ...arc(0.35, 0.6, 0.35, 0.4, 180, 60)],
    ],
    0.6,
  ],
  s: [[[[0.65, 0.85], ...arc(0.35, 0.75, 0.3, 0.25, 30, 270), ...arc(0.35, 0.25, 0.3, 0.25, 90, -150)]], 0.75],
  t: [
    [
      [
        [0.15, 1.5],
        [0.15, 0.1],
        [0.4, 0],
      ],
      [
        [0, 1],
        [0.45, 1],
      ],
    ],
    0.55,
  ],
  u: [
    [
      [[0, 1], [0, 0.4], ...arc(0.35, 0.4, 0.35, 0.4, 180, 360), [0.7, 1]],
      [
        [0.7, 1],
        [0.7, 0],
      ],
    ],
    0.8,
  ],
  v: [
    [
      [
        [0, 1],
        [0.35, 0],
        [0.7, 1],
      ],
    ],
    0.8,
  ],
  w: [
    [
      [
        [0, 1],
        [0.25, 0],
        [0.5, 0.8],
        [0.75, 0],
        [1, 1],
      ],
    ],
    1.1,
  ],
  x: [
    [
      [
        [0, 1],
        [0.7, 0],
      ],
      [
        [0.7, 1],
        [0, 0],
      ],
    ],
    0.8,
  ],
  y: [
    [
      [
        [0, 1],
        [0.35, 0],
      ],
      [
        [0.7, 1],
        [0.2, -0.7],
      ],
    ],
    0.8,
  ],
  z: [
    [
      [
        [0, 1],
        [0.7, 1],
        [0, 0],
        [0.7, 0],
      ],
    ],
    0.8,
  ],
};

/** Points along a path at most `step` px apart (as a pen reports them). */
function densify(path: [number, number][], step: number): [number, number][] {
  const out: [number, number][] = [path[0]!];
  for (let i = 1; i < path.length; i++) {
    const [x0, y0] = path[i - 1]!;
    const [x1, y1] = path[i]!;
    const n = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) / step));
    for (let k = 1; k <= n; k++) out.push([x0 + ((x1 - x0) * k) / n, y0 + ((y1 - y0) * k) / n]);
  }
  return out;
}

/**
 * Lines of text written from (x, y) (the first baseline), letters `size` px high at the
 * x-height; lines 3.2 x-heights apart. Returns the strokes in pad pixels.
 */
export function penWrite(lines: readonly string[], size = 28, x = 30, y = 80): Stroke[] {
  const strokes: Stroke[] = [];
  lines.forEach((text, row) => {
    let at = x;
    const base = y + row * size * 3.2;
    for (const ch of text) {
      if (ch === ' ') {
        at += size * 0.9;
        continue;
      }
      const letter = LETTERS[ch];
      if (!letter) throw new Error(`penWrite: no strokes for '${ch}'`);
      const [paths, advance] = letter;
      for (const path of paths) {
        const placed = path.map(([px, py]) => [at + px * size, base - py * size] as [number, number]);
        strokes.push(densify(placed, 3).map(([px, py]) => ({ x: px, y: py, pressure: 0.5 })));
      }
      at += (advance + 0.25) * size;
    }
  });
  return strokes;
}
