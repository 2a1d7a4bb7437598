// A kernel thread of the engine: plain JavaScript (no TypeScript, no imports of the app), so it
// starts the same under node, tsx and vitest. It instantiates the WebAssembly kernels on the
// shared memory and runs the jobs that pool.ts writes into its control block:
//   ints[SEQ] job number (written last by the main thread), ints[DONE] last job finished,
//   floats[0] index into `functions`, floats[1..] the arguments.
// Between jobs it spins for a moment (jobs come every few microseconds during training), then
// sleeps in Atomics.wait.
import { workerData } from 'node:worker_threads';

const { module, memory, control, offset, layout, functions, spinMs } = workerData;
const ints = new Int32Array(control, offset, layout.ints);
const floats = new Float64Array(control, offset + layout.floatsOffset, layout.floats);
const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
const table = functions.map((name) => exports[name]);

Atomics.store(ints, layout.READY, 1);
Atomics.notify(ints, layout.READY);

let seen = 0;
for (;;) {
  let seq = Atomics.load(ints, layout.SEQ);
  if (seq === seen) {
    let deadline = performance.now() + spinMs;
    for (let spins = 1; (seq = Atomics.load(ints, layout.SEQ)) === seen; spins++) {
      if ((spins & 1023) === 0 && performance.now() > deadline) {
        Atomics.wait(ints, layout.SEQ, seen);
        deadline = performance.now() + spinMs;
      }
    }
  }
  seen = seq;
  const index = floats[0];
  if (index < 0) break; // asked to quit
  try {
    const f = floats;
    table[index](f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12]);
  } catch (error) {
    Atomics.store(ints, layout.ERROR, 1);
    console.error('hwr nn kernel thread:', error);
  }
  Atomics.store(ints, layout.DONE, seq);
  Atomics.notify(ints, layout.DONE);
}
Atomics.store(ints, layout.READY, 0);
