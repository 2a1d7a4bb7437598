/** Starts worker processes under plain Node: forked children running worker-child.ts through tsx. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LaunchWorker, WorkerProcess } from './worker-protocol.ts';

const CHILD = fileURLToPath(new URL('./worker-child.ts', import.meta.url));
/** tsx's loader by absolute URL: a bare `--import tsx` would resolve from the user's working folder. */
const TSX = import.meta.resolve('tsx');
const STDERR_TAIL = 4000;

export const launchNodeWorker: LaunchWorker = (kind) => {
  const child = fork(CHILD, [kind], {
    execArgv: ['--import', TSX],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'advanced',
    env: { ...process.env, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '2' },
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL);
  });
  const handle: WorkerProcess<unknown, unknown> = {
    pid: child.pid,
    send: (message) => {
      if (child.connected) child.send(message as object);
    },
    kill: () => {
      child.kill('SIGKILL');
    },
    onMessage: (listener) => child.on('message', (m) => listener(m)),
    onExit: (listener) => {
      let fired = false;
      const fire = (code: number | null) => {
        if (!fired) {
          fired = true;
          listener(code, stderr);
        }
      };
      child.on('close', (code) => fire(code));
      child.on('error', (err) => {
        stderr += `\n${err.message}`;
        fire(null);
      });
    },
  };
  return handle as never;
};
