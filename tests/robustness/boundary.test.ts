/**
 * Bad parameters and hostile requests at the boundaries: `hwr train` options, training and
 * retraining requests through the services' dispatcher, oversized IPC and HTTP payloads, and
 * requests to `hwr serve` with a missing or wrong token. Each must be refused with a message
 * naming the field or the problem, in bounded time, without reaching the services or leaving
 * files behind.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import {
  encodeWire,
  decodeWire,
  GLYPH_VALUES,
  ipcChannel,
  LIMITS,
  REQUEST_NAMES,
  TOKEN_HEADER,
  WS_PROTOCOL,
  WS_TOKEN_PREFIX,
  type HwrApi,
  type Outcome,
} from '../../app/contract.ts';
import { startServer, type RunningServer } from '../../app/server/http.ts';
import { createServices, type Services } from '../../app/services/services.ts';
import { handleRequest } from '../../app/services/dispatch.ts';
import { launchNodeWorker } from '../../app/services/node-worker.ts';
import { writeOnnx } from '../../app/onnx/export.ts';
import { autoencoderSpec, mlpSpec } from '../onnx/specs.ts';
import { runHwr, writeShapesIdx } from '../helpers/fixtures.ts';
import { sendRaw, type Reply } from '../helpers/http.ts';
import { filesUnder, strayTempFiles } from './leftovers.ts';

vi.mock('electron', () => ({}));
const { registerIpc } = await import('../../main/ipc.ts');

const CASE_TIMEOUT = 20_000;
const root = mkdtempSync(join(tmpdir(), 'hwr-robust-boundary-'));
const shapes = writeShapesIdx(64, 1, join(root));
writeOnnx(join(root, 'models', 'mlp.onnx'), mlpSpec());
writeOnnx(join(root, 'models', 'ae.onnx'), autoencoderSpec());
writeFileSync(join(root, 'garbage.onnx'), 'not a model at all');
const home = join(root, 'home');

let services: Services;
let server: RunningServer;
const TOKEN = 'boundary-token-0123456789abcdefgh';
beforeAll(async () => {
  mkdirSync(join(root, 'ui'));
  writeFileSync(join(root, 'ui', 'index.html'), '<!doctype html>');
  services = createServices({
    transport: 'http',
    home,
    modelsDir: join(root, 'models'),
    sharedData: null,
    datasetRoots: [root],
    launchWorker: launchNodeWorker,
  });
  server = await startServer({ api: services, host: '127.0.0.1', port: 0, token: TOKEN, staticDir: join(root, 'ui') });
});
afterAll(async () => {
  await server?.close();
  await services?.close();
  rmSync(root, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// hwr train options

const data = ['--data', shapes.images, '--labels', shapes.labels];
const cliCases: [string, string[], RegExp][] = [
  ['--epochs 0', ['--epochs', '0'], /--epochs must be an integer ≥ 1 and ≤ 1000, got '0'/],
  ['--epochs -3', ['--epochs', '-3'], /Option '--epochs' argument is ambiguous/],
  ['--epochs=-3', ['--epochs=-3'], /--epochs must be an integer ≥ 1 and ≤ 1000, got '-3'/],
  ['--epochs abc', ['--epochs', 'abc'], /--epochs must be an integer .* got 'abc'/],
  ['--epochs 1.5', ['--epochs', '1.5'], /--epochs must be an integer .* got '1.5'/],
  ['--epochs 1e9', ['--epochs', '1e9'], /--epochs must be an integer ≥ 1 and ≤ 1000/],
  ['--epochs 1001', ['--epochs', '1001'], /--epochs must be an integer ≥ 1 and ≤ 1000, got '1001'/],
  ['--epochs with no value', ['--epochs'], /argument missing/],
  ['--epochs empty', ['--epochs', ''], /--epochs must be an integer .* got ''/],
  ['--lr 0', ['--lr', '0'], /--lr must be a number .* got '0'/],
  ['--lr -0.1', ['--lr', '-0.1'], /Option '--lr' argument is ambiguous/],
  ['--lr=-0.1', ['--lr=-0.1'], /--lr must be a number .* got '-0.1'/],
  ['--lr abc', ['--lr', 'abc'], /--lr must be a number .* got 'abc'/],
  ['--lr NaN', ['--lr', 'NaN'], /--lr must be a number .* got 'NaN'/],
  ['--lr Infinity', ['--lr', 'Infinity'], /--lr must be a number .* got 'Infinity'/],
  ['--lr 11', ['--lr', '11'], /--lr must be a number .* ≤ 10, got '11'/],
  ['--lr 1e-400 (underflows to 0)', ['--lr', '1e-400'], /--lr must be a number .* got '1e-400'/],
  ['--lr 0.1,abc', ['--lr', '0.1,abc'], /--lr must be a number .* got 'abc'/],
  ['--batch 0', ['--batch', '0'], /--batch must be an integer ≥ 1 and ≤ 4096, got '0'/],
  ['--batch 5000', ['--batch', '5000'], /--batch must be an integer ≥ 1 and ≤ 4096/],
  ['--batch 2.5', ['--batch', '2.5'], /--batch must be an integer/],
  ['--momentum 1', ['--momentum', '1'], /--momentum must be a number ≥ 0 and ≤ 0.999, got '1'/],
  ['--momentum=-0.5', ['--momentum=-0.5'], /--momentum must be a number ≥ 0 and ≤ 0.999, got '-0.5'/],
  ['--momentum abc', ['--momentum', 'abc'], /--momentum must be a number/],
  ['--patience=-1', ['--patience=-1'], /--patience must be an integer ≥ 0 and ≤ 1000, got '-1'/],
  ['--patience 0.5', ['--patience', '0.5'], /--patience must be an integer/],
  ['--limit=-5', ['--limit=-5'], /--limit must be an integer ≥ 0 and ≤ 10000000, got '-5'/],
  ['--seed 1.5', ['--seed', '1.5'], /--seed must be an integer ≥ 0 and ≤ 2147483647, got '1.5'/],
  ['--seed abc', ['--seed', 'abc'], /--seed must be an integer .* got 'abc'/],
  ['--arch rnn', ['--arch', 'rnn'], /--arch must be one of mlp, ae, cnn, tfmlp, crnn, got 'rnn'/],
  ['--arch empty', ['--arch', ''], /--arch must be one of mlp, ae, cnn, tfmlp, crnn, got ''/],
  ['--floor 1.5', ['--floor', '1.5'], /--floor must be a number ≥ 0 and ≤ 1, got '1.5'/],
  ['--floor for the from-scratch MLP', ['--floor', '0.7'], /--floor applies to --arch cnn or tfmlp, not --arch mlp/],
  ['--width for the MLP', ['--width', '2'], /--width applies to --arch cnn or crnn, not --arch mlp/],
  ['--freeze without --init-from', ['--freeze'], /--freeze needs --init-from MODEL/],
  ['--init-from a missing file', ['--init-from', join(root, 'missing.onnx')], /--init-from .*missing\.onnx: no such file/],
  ['--init-from a file that is no model', ['--init-from', join(root, 'garbage.onnx')], /--init-from .*garbage\.onnx: not a model this program reads/],
  ['--init-from a folder', ['--init-from', root], /--init-from .*: EISDIR|--init-from .*: illegal operation on a directory/],
  ['an unknown option', ['--learning-rate', '0.1'], /Unknown option '--learning-rate'/],
  ['a stray argument', ['data.idx'], /unexpected argument 'data\.idx' \(give the data with --data PATH\)/],
];

describe('hwr train with bad options', () => {
  it.each(cliCases)(
    '%s',
    async (_name, args, expected) => {
      const out = join(root, 'runs', `cli-${Math.random().toString(36).slice(2)}`);
      const r = await runHwr(['train', '--arch', 'mlp', '--epochs', '1', '--quiet', '--out', out, ...data, ...args]);
      expect(r.code).toBeGreaterThan(0);
      expect(r.stderr).toMatch(/^hwr train: /);
      expect(r.stderr).toMatch(expected);
      expect(filesUnder(out)).toEqual([]);
    },
    CASE_TIMEOUT,
  );
});

// ---------------------------------------------------------------------------------------------
// Training and retraining requests through the dispatcher (what IPC and HTTP both call)

const train = {
  arch: 'mlp',
  dataset: shapes.dir,
  epochs: 2,
  learningRate: 0.1,
  batchSize: 32,
  momentum: 0.9,
  limit: 0,
  augment: false,
  balance: true,
  patience: 0,
  seed: 1,
};
const requestCases: [string, string, unknown, string, RegExp][] = [
  ['epochs 0', 'startTraining', { ...train, epochs: 0 }, 'invalid-request', /startTraining\.epochs must be within 1\.\.1000, got 0/],
  ['epochs 1001', 'startTraining', { ...train, epochs: 1001 }, 'invalid-request', /startTraining\.epochs must be within 1\.\.1000/],
  ['epochs as text', 'startTraining', { ...train, epochs: '3' }, 'invalid-request', /startTraining\.epochs must be a number, got '3'/],
  ['epochs null', 'startTraining', { ...train, epochs: null }, 'invalid-request', /startTraining\.epochs must be a number, got null/],
  ['epochs 2.5', 'startTraining', { ...train, epochs: 2.5 }, 'invalid-request', /startTraining\.epochs must be an integer, got 2\.5/],
  ['learning rate 0', 'startTraining', { ...train, learningRate: 0 }, 'invalid-request', /startTraining\.learningRate must be within 0\.000001\.\.10, got 0/],
  ['learning rate -1', 'startTraining', { ...train, learningRate: -1 }, 'invalid-request', /startTraining\.learningRate must be within/],
  ['learning rate 11', 'startTraining', { ...train, learningRate: 11 }, 'invalid-request', /startTraining\.learningRate must be within/],
  ['learning rate NaN', 'startTraining', { ...train, learningRate: NaN }, 'invalid-request', /startTraining\.learningRate must be a number, got NaN/],
  [
    'learning rate Infinity',
    'startTraining',
    { ...train, learningRate: Infinity },
    'invalid-request',
    /startTraining\.learningRate must be a number, got Infinity/,
  ],
  ['batch size 0', 'startTraining', { ...train, batchSize: 0 }, 'invalid-request', /startTraining\.batchSize must be within 1\.\.4096, got 0/],
  ['batch size 5000', 'startTraining', { ...train, batchSize: 5000 }, 'invalid-request', /startTraining\.batchSize must be within 1\.\.4096/],
  ['momentum 1', 'startTraining', { ...train, momentum: 1 }, 'invalid-request', /startTraining\.momentum must be within 0\.\.0\.999, got 1/],
  ['momentum -0.1', 'startTraining', { ...train, momentum: -0.1 }, 'invalid-request', /startTraining\.momentum must be within/],
  ['limit -1', 'startTraining', { ...train, limit: -1 }, 'invalid-request', /startTraining\.limit must be within/],
  ['patience 1.5', 'startTraining', { ...train, patience: 1.5 }, 'invalid-request', /startTraining\.patience must be an integer/],
  ['seed -1', 'startTraining', { ...train, seed: -1 }, 'invalid-request', /startTraining\.seed must be within/],
  ['seed 2^31', 'startTraining', { ...train, seed: 2 ** 31 }, 'invalid-request', /startTraining\.seed must be within/],
  ['arch rnn', 'startTraining', { ...train, arch: 'rnn' }, 'invalid-request', /startTraining\.arch must be one of mlp, ae, cnn, tfmlp, crnn, got 'rnn'/],
  ['augment as text', 'startTraining', { ...train, augment: 'yes' }, 'invalid-request', /startTraining\.augment must be true or false, got 'yes'/],
  ['an empty dataset', 'startTraining', { ...train, dataset: '' }, 'invalid-request', /startTraining\.dataset must not be empty/],
  [
    'a dataset path of 2000 characters',
    'startTraining',
    { ...train, dataset: 'x'.repeat(2000) },
    'too-large',
    /startTraining\.dataset is 2000 characters long, more than 1024/,
  ],
  ['a dataset that does not exist', 'startTraining', { ...train, dataset: join(root, 'nowhere') }, 'not-found', /no dataset '.*nowhere': give a dataset id/],
  [
    'a dataset outside the folders datasets come from',
    'startTraining',
    { ...train, dataset: '../../../../etc' },
    'invalid-request',
    /the dataset '\.\.\/\.\.\/\.\.\/\.\.\/etc' is outside the folders datasets are read from/,
  ],
  ['a dataset that is unavailable here', 'startTraining', { ...train, dataset: 'emnist36' }, 'unavailable', /EMNIST36 pool is not available here/],
  ['a missing field', 'startTraining', { ...train, seed: undefined }, 'invalid-request', /startTraining\.seed must be a number, got nothing/],
  ['an extra field', 'startTraining', { ...train, save: '/usr/lib/x.onnx' }, 'invalid-request', /startTraining: unknown field 'save'/],
  ['an array instead of an object', 'startTraining', [train], 'invalid-request', /startTraining: the request must be an object/],
  ['retraining for 0 epochs', 'startPersonalization', { epochs: 0, seed: 1 }, 'invalid-request', /startPersonalization\.epochs must be within 1\.\.200, got 0/],
  ['retraining for 500 epochs', 'startPersonalization', { epochs: 500, seed: 1 }, 'invalid-request', /startPersonalization\.epochs must be within 1\.\.200/],
  [
    'retraining without samples',
    'startPersonalization',
    { epochs: 3, seed: 1 },
    'unavailable',
    /retraining needs at least 10 samples of your handwriting in the model's classes \(A–Z 0–9\); there are 0/,
  ],
  ['resuming a run that is not there', 'resumeTraining', { runId: 'run-20260101-000000-zzzz' }, 'not-found', /no training run 'run-20260101-000000-zzzz'/],
  ['a run id with a path in it', 'resumeTraining', { runId: '../../etc' }, 'invalid-request', /resumeTraining\.runId must be an id/],
  ['cancelling when nothing runs', 'cancelTraining', {}, 'invalid-request', /no training run is going/],
];

describe('training requests with bad parameters', () => {
  it.each(requestCases)(
    '%s',
    async (_name, name, payload, code, expected) => {
      const outcome = (await handleRequest(services, name, payload)) as Outcome<unknown>;
      expect(outcome.ok).toBe(false);
      if (outcome.ok) return;
      expect(outcome.error.code).toBe(code);
      expect(outcome.error.message).toMatch(expected);
      expect((await services.trainingStatus({})).state).toBe('idle');
      expect(filesUnder(join(home, 'runs'))).toEqual([]);
    },
    CASE_TIMEOUT,
  );
});

// ---------------------------------------------------------------------------------------------
// Oversized and malformed IPC payloads: refused before any service runs

const glyphs = (count: number) => new Float32Array(count * GLYPH_VALUES);
const ipcCases: [string, string, unknown, string, RegExp][] = [
  [
    '513 glyphs to classify',
    'classifyGlyphs',
    { glyphs: glyphs(LIMITS.glyphsPerRequest + 1) },
    'too-large',
    /classifyGlyphs\.glyphs holds 513 glyphs, more than 512 per request/,
  ],
  ['513 glyphs to reconstruct', 'reconstructGlyphs', { glyphs: glyphs(513) }, 'too-large', /reconstructGlyphs\.glyphs holds 513 glyphs/],
  [
    'an image of 40 MB and a byte',
    'recognizePage',
    { name: 'big.jpg', image: new Uint8Array(LIMITS.imageBytes + 1) },
    'too-large',
    /recognizePage\.image is 40\.0 MB, more than the limit of 40\.0 MB/,
  ],
  [
    'a file name of 300 characters',
    'recognizePage',
    { name: 'n'.repeat(300), image: new Uint8Array(10) },
    'too-large',
    /recognizePage\.name is 300 characters long, more than 255/,
  ],
  [
    'a drawing 2000 px wide',
    'classifyDrawing',
    { ink: new Uint8Array(2000), width: 2000, height: 1 },
    'invalid-request',
    /classifyDrawing\.width must be within 1\.\.1024, got 2000/,
  ],
  [
    'drawing ink larger than its size',
    'classifyDrawing',
    { ink: new Uint8Array(LIMITS.drawingSide * LIMITS.drawingSide + 1), width: 1024, height: 1024 },
    'too-large',
    /classifyDrawing\.ink is 1\.0 MB, more than the limit/,
  ],
  [
    'a sample label of 40 characters',
    'saveSample',
    { label: 'L'.repeat(40), glyph: glyphs(1), source: 'draw' },
    'too-large',
    /saveSample\.label is 40 characters long, more than 32/,
  ],
  ['two glyphs as one sample', 'saveSample', { label: 'A', glyph: glyphs(2), source: 'draw' }, 'invalid-request', /saveSample\.glyph must hold 1 glyph, got 2/],
  ['a glyph value of 2', 'classifyGlyphs', { glyphs: glyphs(1).fill(2) }, 'invalid-request', /classifyGlyphs\.glyphs: value 0 is 2, outside \[0, 1\]/],
  ['a page of 1000 samples', 'listSamples', { limit: 1000 }, 'invalid-request', /listSamples\.limit must be within 1\.\.200, got 1000/],
  ['an id of 500 characters', 'deleteSample', { id: 'a'.repeat(500) }, 'too-large', /deleteSample\.id is 500 characters long, more than 128/],
  ['a string instead of a request', 'listModels', 'x'.repeat(10_000), 'invalid-request', /listModels: the request must be an object/],
  ['bytes instead of a request', 'appInfo', new Uint8Array(1_000_000), 'invalid-request', /appInfo: the request must be an object/],
  ['an unknown request', 'deleteEverything', {}, 'not-found', /unknown request 'deleteEverything'/],
];

describe('oversized and malformed IPC payloads', () => {
  const handlers = new Map<string, (event: unknown, payload: unknown) => Promise<unknown>>();
  const spy = Object.fromEntries(REQUEST_NAMES.map((n) => [n, vi.fn(async () => ({}))])) as unknown as HwrApi;
  spy.onEvent = () => () => {};
  registerIpc(
    { handle: (c: string, h: never) => handlers.set(c, h), removeHandler: () => {} } as never,
    spy,
    (e) => (e as unknown as { trusted: boolean }).trusted,
  );
  const invoke = async (name: string, payload: unknown) => {
    const handler = handlers.get(ipcChannel(name as never));
    return (handler ? await handler({ trusted: true }, payload) : await handleRequest(spy, name, payload)) as Outcome<unknown>;
  };

  it.each(ipcCases)(
    '%s',
    async (_name, name, payload, code, expected) => {
      const outcome = await invoke(name, payload);
      expect(outcome.ok).toBe(false);
      if (outcome.ok) return;
      expect(outcome.error.code).toBe(code);
      expect(outcome.error.message).toMatch(expected);
      for (const n of REQUEST_NAMES) expect((spy as unknown as Record<string, ReturnType<typeof vi.fn>>)[n]).not.toHaveBeenCalled();
    },
    CASE_TIMEOUT,
  );

  it('a request from a frame that is not the app', async () => {
    const outcome = (await handlers.get(ipcChannel('listModels'))!({ trusted: false }, {})) as Outcome<unknown>;
    expect(outcome).toEqual({ ok: false, error: { code: 'unauthorized', message: 'requests are accepted only from the app’s own page' } });
  });
});

// ---------------------------------------------------------------------------------------------
// hwr serve: oversized bodies, malformed requests, missing or wrong tokens

const send = (method: string, path: string, headers: Record<string, string>, body?: string | Buffer) => sendRaw(server.port, method, path, headers, body);
const json = { 'content-type': 'application/json' };
const auth = { ...json, [TOKEN_HEADER]: TOKEN };

const httpCases: [string, () => Promise<Reply>, number, RegExp][] = [
  [
    'a 5 MB body for a small request',
    () => send('POST', '/api/classifyGlyphs', auth, Buffer.alloc(5 * 1024 * 1024, 32)),
    413,
    /the request is larger than 4 MB/,
  ],
  [
    'a body that says it is 100 MB',
    () => send('POST', '/api/listModels', { ...auth, 'content-length': String(100 * 1024 * 1024) }, '{}'),
    413,
    /larger than 4 MB/,
  ],
  ['an image of 60 MB', () => send('POST', '/api/recognizePage', auth, Buffer.alloc(60 * 1024 * 1024, 65)), 413, /the request is larger than 53 MB/],
  ['513 glyphs over HTTP', () => send('POST', '/api/classifyGlyphs', auth, encodeWire({ glyphs: glyphs(513) })), 413, /holds 513 glyphs, more than 512/],
  ['a body that is not JSON', () => send('POST', '/api/listModels', auth, '{"unterminated'), 400, /the body is not valid JSON/],
  [
    'JSON nested a hundred thousand deep',
    () => send('POST', '/api/listModels', auth, '['.repeat(100_000) + ']'.repeat(100_000)),
    400,
    /the body is not valid JSON: it is nested too deeply/,
  ],
  [
    'base64 with a bad character',
    () => send('POST', '/api/recognizePage', auth, '{"name":"x.png","image":{"$u8":"ab!="}}'),
    400,
    /base64 data has a bad character at 2/,
  ],
  [
    'text/plain',
    () => send('POST', '/api/listModels', { 'content-type': 'text/plain', [TOKEN_HEADER]: TOKEN }, '{}'),
    415,
    /send the request as application\/json/,
  ],
  ['GET on the API', () => send('GET', '/api/listModels', auth), 405, /the API takes POST requests only/],
  ['no token', () => send('POST', '/api/listModels', json, '{}'), 401, /missing or wrong token/],
  ['an empty token', () => send('POST', '/api/listModels', { ...json, [TOKEN_HEADER]: '' }, '{}'), 401, /missing or wrong token/],
  [
    'a token one character off',
    () => send('POST', '/api/listModels', { ...json, [TOKEN_HEADER]: TOKEN.slice(0, -1) + 'X' }, '{}'),
    401,
    /missing or wrong token/,
  ],
  ['a token one character short', () => send('POST', '/api/listModels', { ...json, [TOKEN_HEADER]: TOKEN.slice(0, -1) }, '{}'), 401, /missing or wrong token/],
  ['the token with a tail', () => send('POST', '/api/listModels', { ...json, [TOKEN_HEADER]: `${TOKEN}0` }, '{}'), 401, /missing or wrong token/],
  ['the token in the query string', () => send('POST', `/api/listModels?token=${TOKEN}`, json, '{}'), 401, /missing or wrong token/],
  ['the token as a Bearer header', () => send('POST', '/api/listModels', { ...json, authorization: `Bearer ${TOKEN}` }, '{}'), 401, /missing or wrong token/],
  ['the token in a cookie', () => send('POST', '/api/listModels', { ...json, cookie: `token=${TOKEN}` }, '{}'), 401, /missing or wrong token/],
  [
    'a wrong token on an expensive request',
    () => send('POST', '/api/startTraining', { ...json, [TOKEN_HEADER]: 'x'.repeat(TOKEN.length) }, encodeWire(train)),
    401,
    /missing or wrong token/,
  ],
  [
    'a cross-origin caller with the token',
    () => send('POST', '/api/listModels', { ...auth, origin: 'http://evil.example' }, '{}'),
    403,
    /cross-origin requests are refused/,
  ],
];

describe('hwr serve against oversized bodies and missing or wrong tokens', () => {
  it.each(httpCases)(
    '%s',
    async (_name, request, status, expected) => {
      const reply = await request();
      expect(reply.status).toBe(status);
      const outcome = decodeWire(reply.body) as { ok: boolean; error: { message: string } };
      expect(outcome.ok).toBe(false);
      expect(outcome.error.message).toMatch(expected);
      expect(Object.keys(reply.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
      expect((await services.trainingStatus({})).state).toBe('idle');
    },
    CASE_TIMEOUT,
  );

  const socket = (protocols: string[]) =>
    new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/events`, protocols, { origin: `http://127.0.0.1:${server.port}` });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode!));
      ws.on('open', () => (ws.close(), resolve(101)));
      ws.on('error', reject);
    });

  it.each([
    ['no token', [WS_PROTOCOL]],
    ['a wrong token', [WS_PROTOCOL, `${WS_TOKEN_PREFIX}${'y'.repeat(TOKEN.length)}`]],
    ['a token one character short', [WS_PROTOCOL, `${WS_TOKEN_PREFIX}${TOKEN.slice(1)}`]],
  ])(
    'an event socket with %s',
    async (_name, protocols) => {
      expect(await socket(protocols)).toBe(401);
    },
    CASE_TIMEOUT,
  );

  it('the same socket with the token is let in', async () => {
    expect(await socket([WS_PROTOCOL, `${WS_TOKEN_PREFIX}${TOKEN}`])).toBe(101);
  });

  it('no temp file is left in the data folder', () => {
    expect(strayTempFiles(home)).toEqual([]);
  });
});
