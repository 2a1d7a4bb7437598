import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../app/cli/args.ts';
import { run, usage } from '../../app/cli/serve.ts';

const dir = mkdtempSync(join(tmpdir(), 'hwr-serve-cli-'));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>ui</title>');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hwr serve (command line)', () => {
  it('has a usage line naming its options', () => {
    expect(usage).toMatch(/^serve \[--port N\] \[--host ADDR \[--allow-remote\]\]/);
  });

  it('rejects bad options before starting anything', async () => {
    await expect(run(['--port', 'http'])).rejects.toThrow(UsageError);
    await expect(run(['--port', '70000'])).rejects.toThrow(/--port must be an integer/);
    await expect(run(['--host', 'example.com'])).rejects.toThrow(/--host must be an IP address/);
    await expect(run(['--host', '0.0.0.0', '--ui', dir])).rejects.toThrow(/--host 0\.0\.0\.0 would let other computers reach the app: add --allow-remote/);
    await expect(run(['--host', '192.168.1.20', '--ui', dir])).rejects.toThrow(/add --allow-remote/);
    await expect(run(['extra'])).rejects.toThrow(/unexpected argument 'extra'/);
    await expect(run(['--ui', join(dir, 'nowhere')])).rejects.toThrow(/holds no index.html/);
  });

  it('serves on loopback, prints the address with its token, and stops on SIGINT', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const signals = new EventEmitter();
    const done = run(['--port', '0', '--ui', dir, '--home', join(dir, 'home'), '--models', join(dir, 'models')], signals);
    await expect.poll(() => log.mock.calls.length).toBeGreaterThan(0);
    const printed = String(log.mock.calls[0]![0]);
    const url = /http:\/\/127\.0\.0\.1:(\d+)\/#token=([A-Za-z0-9_-]{32})/.exec(printed);
    expect(url).not.toBeNull();
    const page = await fetch(`http://127.0.0.1:${url![1]}/`);
    expect(await page.text()).toContain('<title>ui</title>');
    const api = await fetch(`http://127.0.0.1:${url![1]}/api/appInfo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hwr-token': url![2]! },
      body: '{}',
    });
    expect(api.status).toBe(200);
    signals.emit('SIGINT');
    await expect(done).resolves.toBe(0);
    log.mockRestore();
  });
});
