import type { Writable } from 'node:stream';

/** Somewhere audit records go: the local file, stdout for a container's log collector. */
export interface AuditSink {
  /** For messages: the file's path, or "stdout". */
  readonly name: string;
  /** Resolves once the record has been handed over whole; rejects when it could not be (the call then fails). */
  append(record: object): Promise<void>;
  close(): Promise<void>;
}

/**
 * One JSON line per record on a stream (HTTP mode's stdout, for container log collectors). One
 * write() of a whole line per record, so concurrent calls never interleave. A stream that broke
 * (the collector went away: EPIPE) fails every later record instead of crashing the process or
 * answering unaudited.
 */
export class StreamAuditSink implements AuditSink {
  private broken: Error | undefined;

  constructor(
    readonly name: string,
    private readonly stream: Writable,
  ) {
    // Without a listener a broken pipe would be an uncaught 'error' and end the process.
    stream.on('error', (err) => (this.broken ??= err));
  }

  append(record: object): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    if (this.stream.destroyed || this.stream.writableEnded) return Promise.reject(new Error(`${this.name} is closed`));
    const line = `${JSON.stringify(record)}\n`;
    return new Promise((resolve, reject) => {
      this.stream.write(line, (err) => {
        if (err) {
          this.broken ??= err;
          reject(err);
        } else resolve();
      });
    });
  }

  async close(): Promise<void> {
    // The process's stdout is not ours to end; records already written are flushed by Node.
  }
}
