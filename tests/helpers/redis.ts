/** Debian's redis-server on a free loopback port, in a folder of its own, for the queue tests. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export const REDIS_SERVER = process.env.HWR_REDIS_SERVER ?? 'redis-server';

/** Whether redis-server runs here; on CI (which installs it) its absence is a failure, not a skip. */
export function redisAvailable(): boolean {
  const found = spawnSync(REDIS_SERVER, ['--version']).status === 0;
  if (!found && (process.env.CI === 'true' || process.env.CI === '1')) throw new Error(`CI: ${REDIS_SERVER} is missing (.ci/run installs redis-server)`);
  if (!found) console.warn(`skipping the queue tests: ${REDIS_SERVER} is not installed (apt install redis-server)`);
  return found;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  url: string;
  /** Stops it (SIGTERM: with the append-only file on, what it holds is written first). */
  stop(): Promise<void>;
  /** Starts it again on the same port and folder. */
  start(): Promise<void>;
}

/** `password`: Redis asks for it (requirepass), and the URL carries it. */
export async function startRedis(dir: string, options: { appendOnly?: boolean; password?: string } = {}): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--appendonly', options.appendOnly ? 'yes' : 'no'];
      if (options.password) args.push('--requirepass', options.password);
      const proc = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      let out = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start in 10 s:\n${out}`)), 10_000);
      proc.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (/Ready to accept connections/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        if (!/Ready to accept/.test(out)) reject(new Error(`redis-server exited with ${code}:\n${out}`));
      });
    });
  const stop = async () => {
    const proc = child as ChildProcess | null;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    await exited;
  };
  await start();
  return { url: `redis://${options.password ? `:${encodeURIComponent(options.password)}@` : ''}127.0.0.1:${port}`, stop, start };
}
