import type { RequestErrorCode } from './error-codes.js';
import type { Capabilities, ForwardBatch, Sampler } from '../runtime/generated/wire-messages.js';

export type { Capabilities, ForwardBatch, Sampler };

/** One request's outcome, as the host receives it. */
export type ForwardResult = { tokens: number[] } | { error: { code: RequestErrorCode; message: string } };

export function rejection(code: RequestErrorCode, message: string): ForwardResult {
  return { error: { code, message } };
}
