/** Errors of the runtime family: starting, talking to and supervising the Python runtime. */
export type RuntimeErrorCode =
  | 'INTERPRETER_NOT_FOUND'
  | 'RUNTIME_START_FAILED'
  | 'HANDSHAKE_TIMEOUT'
  | 'RUNTIME_EXITED'
  | 'RUNTIME_UNAVAILABLE'
  | 'RUNTIME_GAVE_UP'
  | 'REQUEST_TIMEOUT'
  /** A message too large for the runtime's frames: refused before it was sent. */
  | 'INVALID_REQUEST';

export class RuntimeError extends Error {
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    /** The last lines the runtime wrote, when it wrote any. */
    readonly outputTail = '',
    /** The runtime's own start-up code (ENGINE_IMPORT_FAILED, MODEL_NOT_FOUND, ...), when it said one. */
    readonly startCode?: string,
  ) {
    super(outputTail ? `${message}\n--- last runtime output ---\n${outputTail}` : message);
    this.name = 'RuntimeError';
  }
}
