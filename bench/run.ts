/**
 * `npm run bench`: every benchmark, each printing `name: value unit` lines. Ratios are against a
 * reference measured in the same run (numpy, PyTorch), never against remembered numbers.
 */
type Figure = { name: string; value: number; unit: string };
type Bench = { name: string; load: () => Promise<() => Promise<Figure[]>> };

const benches: Bench[] = [
  { name: 'mlp-epoch', load: async () => (await import('./mlp-epoch.ts')).benchMlpEpoch },
  { name: 'cnn', load: async () => (await import('./cnn.ts')).benchCnn },
  { name: 'ocr', load: async () => (await import('./ocr.ts')).benchOcr },
  { name: 'htr', load: async () => (await import('./htr.ts')).benchHtr },
  { name: 'pages', load: async () => (await import('./pages.ts')).benchPages },
  { name: 'capitals', load: async () => (await import('./capitals.ts')).benchCapitals },
  { name: 'queue', load: async () => (await import('./queue.ts')).benchQueue },
];

const only = process.argv.slice(2);
let failed = 0;
for (const bench of benches) {
  if (only.length && !only.includes(bench.name)) continue;
  console.log(`# ${bench.name}`);
  try {
    const figures = await (await bench.load())();
    for (const f of figures) console.log(`${f.name}: ${Number.isInteger(f.value) ? f.value : f.value.toPrecision(4)} ${f.unit}`);
  } catch (err) {
    failed++;
    console.log(`${bench.name}: failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
process.exitCode = failed ? 1 : 0;
