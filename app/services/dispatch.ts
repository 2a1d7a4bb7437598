/**
 * The one place a request from outside becomes a service call: the name is checked, the payload
 * validated, the service run, and any failure turned into an ErrorDTO. Both transports (IPC in
 * main/ipc.ts, HTTP in app/server) call this and only adapt its Outcome to their wire.
 */
import { ContractError, isRequestName, type ErrorDTO, type HwrApi, type Outcome, type RequestName } from '../contract.ts';
import { validateRequest } from './validate.ts';

export async function handleRequest(api: HwrApi, name: unknown, payload: unknown): Promise<Outcome<unknown>> {
  try {
    if (!isRequestName(name)) throw new ContractError('not-found', `unknown request '${String(name).slice(0, 60)}'`);
    const request = validateRequest(name, payload);
    const method = api[name] as (request: unknown) => Promise<unknown>;
    return { ok: true, value: await method.call(api, request) };
  } catch (err) {
    return { ok: false, error: toErrorDTO(err, name) };
  }
}

/**
 * Any thrown value as an ErrorDTO; unexpected errors keep their message (it names the file or
 * value), with every absolute path cut to its last part: a client (a browser, maybe on another
 * machine with --allow-remote) learns which file, not where this machine keeps it.
 */
export function toErrorDTO(err: unknown, request?: unknown): ErrorDTO {
  if (process.env.HWR_DEBUG) console.error(`hwr: ${String(request)} failed:`, err);
  if (err instanceof ContractError) {
    const dto = err.toDTO();
    return { ...dto, message: withoutPaths(dto.message) };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', message: withoutPaths(message) || 'unexpected error' };
}

/** `text` with each absolute path (POSIX or Windows) shortened to …/its last part. */
export function withoutPaths(text: string): string {
  return text
    .replace(/(?<![\w.:/~])\/(?:[^\s/'"`()<>,;]+\/)+([^\s/'"`()<>,;]*)/g, '…/$1')
    .replace(/\b[A-Za-z]:\\(?:[^\s\\'"`()<>,;]+\\)+([^\s\\'"`()<>,;]*)/g, '…\\$1');
}

export type { RequestName };
