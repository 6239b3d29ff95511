/** How a command ends when it cannot go on: exit codes and the error that carries one. */

/** Exit codes (istioctl's: 64 usage, 65 unparseable input, 79 analyzers found issues). */
export const EXIT = { ok: 0, error: 1, usage: 64, dataError: 65, analyzerIssues: 79 } as const;

/** An error that ends the command with a message on stderr (printed as is) and an exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.error) {
    super(message);
  }
}
