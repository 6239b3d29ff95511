/**
 * Everything that touches the machine — network, files, stdin, the terminal, the environment — as the
 * CLI's commands receive it, so the same code runs under Node (src/cli/node-main.ts) and in workerd tests.
 */

/** One input read by `-f`/`analyze`: a file's text and the name to show in messages. */
export interface InputFile {
  file: string;
  text: string;
}

export interface ReadInputsOptions {
  /** Walk folders recursively (`-R`); otherwise only a folder's own files. */
  recursive?: boolean;
}

export interface CliIO {
  /** Sends a request to the admin API (Node: global fetch; tests: the gateway Worker). */
  fetch(req: Request): Promise<Response>;
  /** Writes text as is (commands end their lines with `\n`). */
  stdout(text: string): void;
  stderr(text: string): void;
  /**
   * Reads `FILE`, `DIR` (its `*.yaml`, `*.yml` and `*.json` files, sorted by name; subfolders only when
   * recursive) or `-` (stdin, named `<stdin>`). Rejects with a readable Error when a path does not exist.
   */
  readInputs(paths: string[], opts?: ReadInputsOptions): Promise<InputFile[]>;
  /** ISTHMUS_SERVER, ISTHMUS_TOKEN, ISTHMUS_ADMIN_PREFIX, ISTHMUS_GATEWAY_LABELS, ISTHMUS_GATEWAY_NAMESPACE. */
  env: Record<string, string | undefined>;
  /** The local mesh's dev admin token (`.isthmus/dev-token` here or in a parent folder, written by `npm start`), if there is one. */
  devToken?(): Promise<string | undefined>;
  /** Writes a file (`isthmus inject --write`); absent where the CLI has no file access. */
  writeFile?(path: string, text: string): Promise<void>;
  /** Clock for AGE columns; defaults to Date.now. */
  now?(): number;
}
