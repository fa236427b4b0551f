import { createInterface, type Interface } from 'node:readline';
import { Writable } from 'node:stream';
import type { CliContext } from '../cli-context';

/**
 * Asks for lines on stdin. On a terminal the question goes to stderr (stdout may be
 * piped) and a secret is not echoed; from a pipe, lines are read without questions.
 */
export class LinePrompt {
  private readline: Interface | undefined;
  private readonly lines: string[] = [];
  private readonly waiting: ((line: string | undefined) => void)[] = [];
  private ended = false;
  private muted = false;

  constructor(private readonly context: CliContext) {}

  /** The next line, trimmed; undefined when stdin has ended. */
  async ask(question: string, options: { secret: boolean }): Promise<string | undefined> {
    const terminal = this.context.stdin.isTTY === true;
    this.start(terminal);
    if (terminal) this.context.stderr.write(question);
    this.muted = terminal && options.secret;
    const line = await this.next();
    if (this.muted) this.context.stderr.write('\n');
    this.muted = false;
    return line?.trim();
  }

  close(): void {
    this.readline?.close();
    this.readline = undefined;
  }

  private start(terminal: boolean): void {
    if (this.readline !== undefined) return;
    const stderr = this.context.stderr;
    // readline echoes what is typed to its output: this one drops the echo of a secret.
    const output = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        if (!this.muted) stderr.write(chunk);
        done();
      },
    });
    this.readline = createInterface({ input: this.context.stdin, output, terminal });
    this.readline.on('line', (line) => {
      const waiter = this.waiting.shift();
      if (waiter !== undefined) waiter(line);
      else this.lines.push(line);
    });
    this.readline.on('close', () => {
      this.ended = true;
      for (const waiter of this.waiting.splice(0)) waiter(undefined);
    });
  }

  private next(): Promise<string | undefined> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}
