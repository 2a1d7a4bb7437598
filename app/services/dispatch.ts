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

/** Any thrown value as an ErrorDTO; unexpected errors keep their message (it names the file or value). */
export function toErrorDTO(err: unknown, request?: unknown): ErrorDTO {
  if (err instanceof ContractError) return err.toDTO();
  const message = err instanceof Error ? err.message : String(err);
  if (process.env.HWR_DEBUG) console.error(`hwr: ${String(request)} failed:`, err);
  return { code: 'internal', message: message || 'unexpected error' };
}

export type { RequestName };
