// A kernel thread of the engine: plain JavaScript with no imports from the app, so it starts the
// same under node, tsx and vitest. It instantiates the WebAssembly kernels on the shared memory
// and helps with the jobs that team.ts posts: a job is one kernel call cut into chunks, which
// every thread (the main one included) claims one at a time until none are left. The protocol
// is described in team.ts; `layout` comes from there.
//
// After a job it helped with, or one it slept through, the thread spins for a moment (during
// training jobs come every few microseconds), then sleeps in Atomics.wait. After a job it was
// awake for and still came too late to, it sleeps at once: it is probably sharing a core with the
// main thread, and spinning would only take time from it.
import { workerData } from 'node:worker_threads';

const { module, memory, control, layout, functions, index, spinMs } = workerData;
const ints = new Int32Array(control, 0, layout.ints);
const job = new Float64Array(control, layout.jobOffset, layout.jobFloats);
const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
const table = functions.map((name) => exports[name]);
const base = new Float64Array(layout.args);
const stride = new Float64Array(layout.args);
const a = new Float64Array(layout.args);

/** Claims and runs chunks of job `seq` until none are left or the job is no longer open; returns how many it ran. */
function help(seq) {
  const tag = (seq & layout.SEQ_MASK) << 16;
  const fn = table[job[layout.FN]];
  const total = job[layout.TOTAL],
    chunk = job[layout.CHUNK],
    chunks = job[layout.CHUNKS];
  const countArg = job[layout.COUNT_ARG],
    tmpArg = job[layout.TMP_ARG],
    packArg = job[layout.PACK_ARG];
  for (let i = 0; i < layout.args; i++) {
    base[i] = job[layout.ARGS + i];
    stride[i] = job[layout.STRIDES + i];
  }
  if (tmpArg >= 0) base[tmpArg] = job[layout.SCRATCH + 2 * index];
  if (packArg >= 0) base[packArg] = job[layout.SCRATCH + 2 * index + 1];
  for (let ran = 0; ; ran++) {
    const next = Atomics.load(ints, layout.NEXT);
    // A different tag means the job was closed (and its description may be changing): stop.
    // A successful claim proves the job was still open, so what was read above is intact.
    if ((next & ~0xffff) !== tag || (next & 0xffff) >= chunks) return ran;
    if (Atomics.compareExchange(ints, layout.NEXT, next, next + 1) !== next) {
      ran--;
      continue;
    }
    const from = (next & 0xffff) * chunk;
    for (let i = 0; i < layout.args; i++) a[i] = base[i] + stride[i] * from;
    if (countArg >= 0) a[countArg] = Math.min(chunk, total - from);
    try {
      fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15]);
    } catch (error) {
      Atomics.store(ints, layout.ERROR, 1);
      console.error('hwr nn kernel thread:', error);
    }
    if (Atomics.add(ints, layout.DONE, 1) + 1 === chunks) Atomics.notify(ints, layout.DONE);
  }
}

Atomics.store(ints, layout.READY + index, 1);
let seen = Atomics.load(ints, layout.SEQ);
let spin = false;
for (;;) {
  let seq = Atomics.load(ints, layout.SEQ);
  let slept = false;
  if (seq === seen && !spin) slept = Atomics.wait(ints, layout.SEQ, seen) === 'ok';
  if (seq === seen) {
    let deadline = performance.now() + spinMs;
    for (let spins = 1; (seq = Atomics.load(ints, layout.SEQ)) === seen; spins++) {
      if ((spins & 255) === 0 && performance.now() > deadline) {
        slept = Atomics.wait(ints, layout.SEQ, seen) === 'ok' || slept;
        deadline = performance.now() + spinMs;
      }
    }
  }
  seen = seq;
  if (Atomics.load(ints, layout.QUIT) !== 0) break;
  // Too late for a job it slept through is no sign of a shared core: waking takes longer than a
  // short job (0.3 ms and more in a VM), and a thread that went back to sleep at once would come
  // too late to every job that follows. Only a thread that was awake and still too late sleeps at once.
  spin = help(seq) > 0 || slept;
}
Atomics.store(ints, layout.READY + index, 0);
