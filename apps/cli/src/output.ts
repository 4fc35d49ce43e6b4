import { isTinytownError } from '@tinytown/core';

type Stream = NodeJS.WriteStream;

const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};
export type Colour = keyof typeof CODES;

/** Whether a stream gets ANSI colours: only a terminal, and never with NO_COLOR set. */
export function wantsColour(stream: { isTTY?: boolean }): boolean {
  return stream.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

/**
 * Everything `tt` prints goes through here: text for people (coloured only on a terminal), or with
 * `--json` exactly one JSON document on stdout. Errors are one line on stderr.
 */
export class Output {
  readonly colour: boolean;

  constructor(
    readonly json: boolean,
    /** `--verbose`: a failure also shows its code, details, causes and (for a bug) the stack. */
    readonly verbose = false,
    private readonly stdout: Stream = process.stdout,
    private readonly stderr: Stream = process.stderr,
  ) {
    this.colour = !json && wantsColour(stdout);
  }

  paint(colour: Colour, text: string): string {
    if (!this.colour) return text;
    const [open, close] = CODES[colour];
    return `\u001b[${open}m${text}\u001b[${close}m`;
  }

  /** A line of human output; suppressed under --json. */
  line(text = ''): void {
    if (!this.json) this.stdout.write(`${text}\n`);
  }

  /** The command's result: the JSON document under --json, else whatever `text` prints. */
  result(document: unknown, text: () => void): void {
    if (this.json) this.stdout.write(`${JSON.stringify(document)}\n`);
    else text();
  }

  /** One JSON line (`events --follow --json`). */
  jsonLine(document: unknown): void {
    this.stdout.write(`${JSON.stringify(document)}\n`);
  }

  /** A note for people on stderr (progress, hints that must not pollute a JSON stdout). */
  note(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  error(error: unknown): void {
    const message = errorMessage(error);
    const code = isTinytownError(error) ? error.code : 'ERROR';
    if (this.json) {
      const more = this.verbose ? errorDetails(error) : {};
      this.stderr.write(`${JSON.stringify({ error: { code, message, ...more } })}\n`);
      return;
    }
    const prefix = wantsColour(this.stderr) ? '\u001b[31mtt: error:\u001b[39m' : 'tt: error:';
    this.stderr.write(`${prefix} ${message}\n`);
    if (!this.verbose) return;
    const { details, causes, stack } = errorDetails(error);
    this.stderr.write(`  code: ${code}\n`);
    if (details) this.stderr.write(`  details: ${JSON.stringify(details)}\n`);
    for (const cause of causes ?? []) this.stderr.write(`  caused by: ${cause}\n`);
    if (stack) this.stderr.write(`${stack.replace(/^/gm, '  ')}\n`);
  }

  /**
   * Shows a progress line on stderr once a wait passes a second: a spinner on a terminal, one line
   * otherwise. Returns a function that ends it.
   */
  progress(label: string): () => void {
    const started = Date.now();
    const tty = this.stderr.isTTY === true;
    const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    let frame = 0;
    let shown = false;
    const draw = () => {
      const seconds = Math.floor((Date.now() - started) / 1000);
      if (tty) {
        this.stderr.write(`\r${frames[frame++ % frames.length]} ${label} (${seconds}s)\u001b[K`);
      } else if (!shown) {
        this.stderr.write(`${label}…\n`);
      }
      shown = true;
    };
    let interval: NodeJS.Timeout | undefined;
    const first = setTimeout(() => {
      draw();
      if (tty) interval = setInterval(draw, 100);
    }, 1000);
    first.unref();
    return () => {
      clearTimeout(first);
      if (interval) clearInterval(interval);
      if (shown && tty) this.stderr.write('\r\u001b[K');
    };
  }
}

/**
 * What `--verbose` adds to a failure: a Tinytown error's details, the chain of causes, and the stack of
 * anything else (an unexpected error is a bug worth reporting with it).
 */
function errorDetails(error: unknown): {
  details?: Readonly<Record<string, unknown>>;
  causes?: string[];
  stack?: string;
} {
  const causes: string[] = [];
  for (let cause = (error as { cause?: unknown })?.cause; cause !== undefined && causes.length < 5; ) {
    causes.push(errorMessage(cause));
    cause = (cause as { cause?: unknown })?.cause;
  }
  const tinytown = isTinytownError(error);
  const details = tinytown && Object.keys(error.details).length > 0 ? error.details : undefined;
  const stack = !tinytown && error instanceof Error ? error.stack : undefined;
  return {
    ...(details ? { details } : {}),
    ...(causes.length > 0 ? { causes } : {}),
    ...(stack ? { stack } : {}),
  };
}

export function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, Math.max(0, max - 1))}…` : flat;
}

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s ago`;
  return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m ago`;
}
