import { describe, expect, it } from 'vitest';
import type { Page } from '../recognize/document.ts';
import { RecognizerClient } from './recognizer-client.ts';
import type { FromRecognizer, LaunchWorker, ToRecognizer, WorkerProcess } from './worker-protocol.ts';

class FakeReader implements WorkerProcess<ToRecognizer, FromRecognizer> {
  sent: ToRecognizer[] = [];
  reply: (m: FromRecognizer) => void = () => {};
  exit: (code: number | null, output: string) => void = () => {};
  send(m: ToRecognizer) {
    this.sent.push(m);
  }
  kill() {
    this.exit(null, '');
  }
  onMessage(l: (m: FromRecognizer) => void) {
    this.reply = l;
  }
  onExit(l: (code: number | null, output: string) => void) {
    this.exit = l;
  }
}

const page: Page = { width: 10, height: 10, rows: [] };

function setup() {
  const started: FakeReader[] = [];
  const launch = ((kind: string) => {
    expect(kind).toBe('recognize');
    const p = new FakeReader();
    started.push(p);
    return p;
  }) as LaunchWorker;
  return { client: new RecognizerClient(launch), started };
}

describe('RecognizerClient', () => {
  it('starts one process, matches answers to requests and passes progress on', async () => {
    const { client, started } = setup();
    const progress: number[] = [];
    const a = client.read({ name: 'a.jpg', image: new Uint8Array(1), modelPath: '/m.onnx' }, (_s, f) => progress.push(f));
    const b = client.read({ name: 'b.jpg', image: new Uint8Array(1), modelPath: '/m.onnx' }, () => {});
    expect(started).toHaveLength(1);
    const [ra, rb] = started[0]!.sent;
    started[0]!.reply({ type: 'progress', id: ra!.id, stage: 'decoding', fraction: 0.1 });
    started[0]!.reply({ type: 'page', id: rb!.id, page, crops: new Float32Array(0) });
    started[0]!.reply({ type: 'error', id: ra!.id, code: 'unprocessable', message: 'a.jpg: not a readable image' });
    await expect(b).resolves.toEqual({ page, crops: new Float32Array(0) });
    await expect(a).rejects.toMatchObject({ code: 'unprocessable', message: 'a.jpg: not a readable image' });
    expect(progress).toEqual([0.1]);
  });

  it('fails the pages in flight when the process dies, and starts a new one for the next', async () => {
    const { client, started } = setup();
    const lost = client.read({ name: 'a.jpg', image: new Uint8Array(1), modelPath: '/m.onnx' }, () => {});
    started[0]!.exit(134, 'terminate called\nAborted (core dumped)\n');
    await expect(lost).rejects.toMatchObject({ code: 'internal', message: expect.stringContaining('Aborted (core dumped)') });
    void client.read({ name: 'b.jpg', image: new Uint8Array(1), modelPath: '/m.onnx' }, () => {});
    expect(started).toHaveLength(2);
  });
});
