import type { RequestErrorCode } from './error-codes.js';

/** A context operation (fork, release) that failed; carries the same stable codes as a forward result. */
export class OperationError extends Error {
  constructor(
    readonly code: RequestErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'OperationError';
  }
}
