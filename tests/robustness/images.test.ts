/**
 * Bad images through every door a user has: `hwr ocr` (in-process), the services (the
 * page-reading process) and `hwr serve` over HTTP. Each must end in a clear error naming the
 * file and the problem, in bounded time, with no output or temp file left behind; blank pages
 * say that no handwriting was found.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWire, encodeWire, TOKEN_HEADER } from '../../app/contract.ts';
import { modelsDir } from '../../app/base/paths.ts';
import { startServer, type RunningServer } from '../../app/server/http.ts';
import { createServices, type Services } from '../../app/services/services.ts';
import { launchNodeWorker } from '../../app/services/node-worker.ts';
import { runHwr } from '../helpers/fixtures.ts';
import { badImages, blankPages } from './corpus.ts';
import { filesUnder } from './leftovers.ts';

const CASE_TIMEOUT = 20_000;
const root = mkdtempSync(join(tmpdir(), 'hwr-robust-images-'));
const inputs = join(root, 'in');
mkdirSync(inputs);
const bad = await badImages();
const blank = await blankPages();
for (const c of [...bad, ...blank]) writeFileSync(join(inputs, c.file), c.bytes);

let services: Services;
let server: RunningServer;
const token = 'robustness-token-0123456789abcdef';
beforeAll(async () => {
  mkdirSync(join(root, 'ui'));
  writeFileSync(join(root, 'ui', 'index.html'), '<!doctype html>');
  services = createServices({ transport: 'http', home: join(root, 'home'), modelsDir, sharedData: null, launchWorker: launchNodeWorker });
  server = await startServer({ api: services, host: '127.0.0.1', port: 0, token, staticDir: join(root, 'ui') });
});
afterAll(async () => {
  await server?.close();
  await services?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('bad images', () => {
  it(`the corpus holds ${bad.length + blank.length} images`, () => {
    expect(bad.length + blank.length).toBeGreaterThanOrEqual(100);
    expect(new Set(bad.map((c) => c.file)).size).toBe(bad.length);
  });

  describe('hwr ocr', () => {
    it.each([...bad, ...blank].map((c) => [c.name, c] as const))(
      '%s',
      async (_name, c) => {
        const file = join(inputs, c.file);
        const out = join(root, 'ocr-out', c.file);
        const r = await runHwr(['ocr', '--format', 'json', '--out', out, file]);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`hwr ocr: ${file}: `);
        expect(r.stderr).toMatch(c.expect);
        expect(r.stderr).toContain('1 of 1 input(s) failed');
        expect(filesUnder(out)).toEqual([]);
      },
      CASE_TIMEOUT,
    );
  });

  describe('services (the page-reading process)', () => {
    it.each(bad.map((c) => [c.name, c] as const))(
      '%s',
      async (_name, c) => {
        const error = await services.recognizePage({ name: c.file, image: c.bytes.length ? c.bytes : new Uint8Array(0) }).then(
          () => null,
          (e: unknown) => e as { code: string; message: string },
        );
        expect(error).not.toBeNull();
        expect(error!.code).toBe('unprocessable');
        expect(error!.message).toContain(`${c.file}: `);
        expect(error!.message).toMatch(c.expect);
      },
      CASE_TIMEOUT,
    );

    it.each(blank.map((c) => [c.name, c] as const))(
      '%s: a page with no rows, which the Scan view shows as "No writing found"',
      async (_name, c) => {
        const page = await services.recognizePage({ name: c.file, image: c.bytes });
        expect(page.rows).toEqual([]);
        expect(page.text).toBe('');
      },
      CASE_TIMEOUT,
    );
  });

  describe('hwr serve over HTTP', () => {
    it.each(bad.filter((_, k) => k % 3 === 0).map((c) => [c.name, c] as const))(
      '%s',
      async (_name, c) => {
        const res = await fetch(`http://127.0.0.1:${server.port}/api/recognizePage`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [TOKEN_HEADER]: token },
          body: encodeWire({ name: c.file, image: c.bytes }),
        });
        const outcome = decodeWire(await res.text()) as { ok: boolean; error: { code: string; message: string } };
        // An empty body is refused at the boundary; anything else by the decoder.
        if (c.bytes.length === 0) {
          expect(res.status).toBe(400);
          expect(outcome.error.message).toBe('recognizePage.image is empty');
          return;
        }
        expect(res.status).toBe(422);
        expect(outcome.error.code).toBe('unprocessable');
        expect(outcome.error.message).toContain(`${c.file}: `);
        expect(outcome.error.message).toMatch(c.expect);
      },
      CASE_TIMEOUT,
    );
  });
});
