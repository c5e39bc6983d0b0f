// Exit codes every `weft` command uses (documented in docs/cli.md).
export const EXIT_OK = 0;
/** The input is invalid (policy errors), a check failed, or a signature was refused. */
export const EXIT_INVALID = 1;
/** Usage error: unknown flag, missing argument, unreadable key file. */
export const EXIT_USAGE = 2;
/** `weft diff --exit-code`: the sides differ. */
export const EXIT_DIFFERENT = 3;
/** `weft push --wait` ran out of time before every live node applied the version. */
export const EXIT_WAIT_TIMEOUT = 4;

/** An error the CLI reports as one line and an exit code, without a stack trace. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = EXIT_USAGE) {
    super(message);
    this.exitCode = exitCode;
  }
}
