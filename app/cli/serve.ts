/**
 * `hwr serve`: the app in a browser. The same contract as the desktop app's IPC, over HTTP and a
 * WebSocket on loopback, guarded by a token made at start and printed inside the address.
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { createServices } from '../services/services.ts';
import { launchNodeWorker } from '../services/node-worker.ts';
import { isLoopback, startServer } from '../server/http.ts';
import { buildRenderer, RENDERER_OUT, rendererBuilt } from '../server/renderer-build.ts';
import { numberOption, parseCli, UsageError } from './args.ts';

export const usage =
  'serve [--port N] [--host ADDR [--allow-remote]] [--home DIR] [--models DIR] [--ui DIR] [--rebuild]   the app in your browser at http://127.0.0.1:PORT (token in the printed address)';

export async function run(args: string[], signals: NodeJS.EventEmitter = process): Promise<number> {
  const { values, positionals } = parseCli(
    args,
    {
      port: { type: 'string' },
      host: { type: 'string' },
      'allow-remote': { type: 'boolean', default: false },
      home: { type: 'string' },
      models: { type: 'string' },
      ui: { type: 'string' },
      rebuild: { type: 'boolean' },
    },
    usage,
  );
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'\nusage: hwr ${usage}`);
  const port = numberOption(values.port, 'port', { min: 0, max: 65535, integer: true }) ?? 0;
  const host = values.host ?? '127.0.0.1';
  if (values.host !== undefined && host !== 'localhost' && isIP(host) === 0) throw new UsageError(`--host must be an IP address or localhost, got '${host}'`);
  if (!isLoopback(host) && !values['allow-remote']) {
    throw new UsageError(`--host ${host} would let other computers reach the app: add --allow-remote to mean it (the token is still required)`);
  }
  if (!isLoopback(host)) {
    console.error(`hwr serve: WARNING: listening on ${host}, not only on this computer; anyone who can reach it and learns the token can use the app`);
  }

  let staticDir = values.ui ? resolve(values.ui) : RENDERER_OUT;
  if (values.ui && !rendererBuilt(staticDir)) throw new UsageError(`--ui ${staticDir} holds no index.html: build the UI with 'npm run build'`);
  if (!values.ui && (values.rebuild || !rendererBuilt(staticDir))) staticDir = await buildRenderer(RENDERER_OUT, (line) => console.error(`hwr serve: ${line}`));

  const services = createServices({
    transport: 'http',
    launchWorker: launchNodeWorker,
    ...(values.home ? { home: resolve(values.home) } : {}),
    ...(values.models ? { modelsDir: resolve(values.models) } : {}),
  });
  const token = randomBytes(24).toString('base64url');
  const server = await startServer({
    api: services,
    host: host === 'localhost' ? '127.0.0.1' : host,
    allowRemote: values['allow-remote'],
    port,
    token,
    staticDir,
  });
  console.log(
    `hwr serve: open the app at\n\n  ${server.url}\n\n` +
      `The token in the address is what lets your browser in; keep it to yourself. Data folder: ${services.home.root}. Ctrl+C stops.`,
  );

  return new Promise<number>((done) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      console.error('hwr serve: stopping');
      void Promise.all([server.close(), services.close()]).finally(() => done(0));
    };
    signals.once('SIGINT', stop);
    signals.once('SIGTERM', stop);
  });
}
