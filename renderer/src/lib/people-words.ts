/**
 * Errors as a person reads them: the back end's messages name requests and fields
 * (`recognizePage.image is empty`) for developers and logs; the banner says what happened to
 * the user's file or action, and keeps the original (with its code) for a tooltip.
 */
import { ContractError } from '../../../app/contract.ts';

export interface PeopleMessage {
  /** What the banner says. */
  message: string;
  /** The message as the back end gave it, with its code: shown on hover. */
  detail?: string;
}

const MB = /([\d.]+ [KMG]?B)/;

/** Rewrites of field-level messages; the first that matches wins. */
const REWRITES: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^\w+\.image is empty$/, () => 'This file is empty.'],
  [new RegExp(`^\\w+\\.image is ${MB.source}, more than the limit of ${MB.source}`), (m) => `This file is ${m[1]}; hwr reads files up to ${m[2]}.`],
  [/^\w+\.name must not be empty$/, () => 'A name cannot be empty.'],
  [/^\w+\.name must be a name with something besides spaces/, () => 'A name needs a letter or digit, and no / \\ or control characters.'],
  [/^\w+\.label must be /, () => 'A label is one character or a short name, without / \\ : * ? " < > | or control characters.'],
];

const BY_CODE: Partial<Record<string, string>> = {
  unauthorized: 'This window is not connected any more: open the address that hwr serve printed (it carries the key).',
};

export function forPeople(err: unknown, context?: string): PeopleMessage {
  const original = err instanceof Error ? err.message : String(err);
  const code = err instanceof ContractError ? err.code : undefined;
  let message = (code && BY_CODE[code]) ?? original;
  for (const [re, words] of REWRITES) {
    const m = re.exec(original);
    if (m) {
      message = words(m);
      break;
    }
  }
  // What is left still may name a request field: `recognizePage.sheet must …` → `The sheet must …`.
  message = message.replace(/^[a-z]+[A-Z]\w*\.(\w+)/, (_, field: string) => `The ${field.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`)}`);
  const reworded = message !== original;
  message = message.charAt(0).toUpperCase() + message.slice(1);
  if (context) message = `${context}: ${message.charAt(0).toLowerCase()}${message.slice(1)}`;
  const detail = reworded || code ? `${original}${code ? ` (${code})` : ''}` : undefined;
  return { message, ...(detail ? { detail } : {}) };
}
