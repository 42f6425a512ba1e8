/** An error the CLI reports as one line (or a few, for a list) and an exit code, never as a stack
 *  trace. `code` is the stable code `--json` reports (USAGE or FAILED when none is more precise);
 *  `reported` says the command already printed its own JSON report of it. */
export class CliError extends Error {
  readonly code: string | undefined;
  readonly reported: boolean;
  constructor(
    message: string,
    readonly exitCode = 1,
    options: { code?: string; reported?: boolean } = {},
  ) {
    super(message);
    this.name = 'CliError';
    this.code = options.code;
    this.reported = options.reported ?? false;
  }
}

/** The most precise stable code of a failed start: the runtime's own (ENGINE_IMPORT_FAILED, ...),
 *  else the error's (RUNTIME_EXITED, HANDSHAKE_TIMEOUT, CONFIG_INVALID, ...). */
export function startFailureCode(error: unknown): string | undefined {
  const { startCode, code } = (error ?? {}) as { startCode?: unknown; code?: unknown };
  return typeof startCode === 'string' ? startCode : typeof code === 'string' ? code : undefined;
}
