/**
 * A flood of large pages at `hwr serve`: 16 requests at once, each a 37 MB photo. The server
 * takes four (two read, two waiting) and turns the rest away before reading their bodies, with
 * a hint to retry; it and its page-reading process stay under 1.5 GB resident together.
 * (Before: 3.1 GB, every body read in full and held as text several times over.)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWire, TOKEN_HEADER } from '../../app/contract.ts';
import { sharedDataForTests } from '../helpers/shared-data.ts';
import { spawnServe } from '../helpers/serve.ts';
import type { ChildProcess } from 'node:child_process';

const shared = sharedDataForTests();
/** The ceiling for the server and the processes it started, together. */
const CEILING_BYTES = 1.5 * 1024 ** 3;
const PARALLEL = 16;

let home: string;
let child: ChildProcess;
let url: URL;
let token: string;
let serverOutput: () => string;

/** Resident memory of a process and its children, from /proc. */
function treeRss(pid: number): number {
  let kids: number[] = [];
  try {
    kids = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map(Number)
      .filter(Boolean);
  } catch {
    // ps exits 1 when the process has no children.
  }
  const rss = (p: number) => {
    try {
      return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0) * 1024;
    } catch {
      return 0; // gone meanwhile
    }
  };
  return rss(pid) + kids.reduce((sum, k) => sum + rss(k), 0);
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'hwr-flood-'));
  const started = await spawnServe(['--home', home], { HWR_HOME: home });
  child = started.child;
  serverOutput = started.output;
  url = new URL(started.url);
  token = url.hash.replace('#token=', '');
});

afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(home, { recursive: true, force: true });
});

describe('a flood of large pages', () => {
  it.skipIf(!shared || process.platform !== 'linux')(
    `reads some, turns the rest away as busy, and stays under ${CEILING_BYTES / 1024 ** 3} GB`,
    { timeout: 300_000 },
    async () => {
      // A 12-megapixel phone photo as an uncompressed PNG: 37 MB that decode to a real page.
      const image = await sharp(join(shared!, 'photos', '04_deep.jpg'))
        .png({ compressionLevel: 0 })
        .toBuffer();
      expect(image.length).toBeGreaterThan(35e6);
      const body = encodeWire({ name: 'big.png', image, reader: 'glyphs' });
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, treeRss(child.pid!))), 100);
      const post = () =>
        fetch(new URL('/api/recognizePage', url), { method: 'POST', headers: { 'content-type': 'application/json', [TOKEN_HEADER]: token }, body }).then(
          async (r) => ({ status: r.status, retry: r.headers.get('retry-after'), text: await r.text() }),
        );
      const results = await Promise.all(Array.from({ length: PARALLEL }, post)).catch((err: Error) => {
        // Name the cause and what the server said: a bare "fetch failed" tells nothing.
        const server = child.exitCode === null ? 'still runs' : `exited with ${child.exitCode}`;
        throw new Error(`a request failed: ${String(err.cause ?? err)}; the server ${server} and printed:\n${serverOutput()}`);
      });
      clearInterval(sampler);
      peak = Math.max(peak, treeRss(child.pid!));
      const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
      console.log(`flood of ${PARALLEL} × ${mb(image.length)}: peak ${mb(peak)} resident, ${results.filter((r) => r.status === 200).length} read`);

      const read = results.filter((r) => r.status === 200);
      const busy = results.filter((r) => r.status === 409);
      expect(results.filter((r) => r.status !== 200 && r.status !== 409).map((r) => `${r.status} ${r.text.slice(0, 200)}`)).toEqual([]);
      expect(read.length + busy.length).toBe(PARALLEL);
      expect(read.length).toBeGreaterThanOrEqual(2);
      for (const r of read)
        expect(JSON.parse(r.text)).toMatchObject({ ok: true, value: { rows: expect.arrayContaining([expect.objectContaining({ text: 'DEEP LEARNING' })]) } });
      for (const r of busy) {
        expect(r.retry).toBe('5');
        expect(JSON.parse(r.text)).toMatchObject({ ok: false, error: { code: 'busy', message: expect.stringMatching(/try again/) } });
      }
      expect(peak).toBeLessThan(CEILING_BYTES);
    },
  );
});
