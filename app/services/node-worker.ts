/** Starts the training process under plain Node: a forked child running train-child.ts through tsx. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromTrainer, LaunchTrainer, TrainerProcess } from './train-protocol.ts';

const CHILD = fileURLToPath(new URL('./train-child.ts', import.meta.url));
/** tsx's loader by absolute URL: a bare `--import tsx` would resolve from the user's working folder. */
const TSX = import.meta.resolve('tsx');
const STDERR_TAIL = 4000;

export const launchNodeTrainer: LaunchTrainer = (): TrainerProcess => {
  const child = fork(CHILD, [], {
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
  return {
    send: (message) => {
      if (child.connected) child.send(message);
    },
    kill: () => {
      child.kill('SIGKILL');
    },
    onMessage: (listener) => child.on('message', (m) => listener(m as FromTrainer)),
    onExit: (listener) => {
      let fired = false;
      const fire = (code: number | null) => {
        if (!fired) (fired = true), listener(code, stderr);
      };
      child.on('close', (code) => fire(code));
      child.on('error', (err) => {
        stderr += `\n${err.message}`;
        fire(null);
      });
    },
  };
};
