import type { AppendOnlyFile } from './appendOnlyFile.js';
import { writeCursorFile, type CursorFile, type CursorUser } from './cursorFile.js';
import type { ExportPage } from '../../graph/copilot/interactionExport.js';
import { fileLine, lineUser } from './shape.js';

/**
 * The one writer of an export file. Pages from all users go through one queue, so appends never
 * interleave and each cursor written describes exactly the file up to its `bytes`: append + flush
 * the page, then advance that user's `next`, then replace the cursor. After the first failure
 * nothing more is written (a later page must not land after a gap).
 */
export interface PreparedPage {
  /** The page's JSONL lines (a string until written: see AppendOnlyFile.append). */
  text: string;
  items: number;
  nextLink: string | null;
}

export class PageWriter {
  private tail: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly file: AppendOnlyFile,
    private readonly cursorPath: string,
    readonly state: CursorFile,
    private readonly onCommitted: (items: number) => void,
  ) {}

  /**
   * The page as the bytes it adds to the file. Done as soon as the page arrives, so the parsed
   * interactions die young (they never wait in the queue and get promoted to V8's old generation);
   * the queue holds only each page's text.
   */
  prepare(user: CursorUser, page: ExportPage): PreparedPage {
    const who = lineUser(user);
    let text = '';
    for (const item of page.items) text += fileLine(who, item);
    return { text, items: page.items.length, nextLink: page.nextLink ?? null };
  }

  /** Resolves once the page is on disk and the cursor says so. Pages of one user must be committed in order. */
  commit(user: CursorUser, page: PreparedPage): Promise<void> {
    const run = async () => {
      if (this.failure) throw this.failure.error;
      try {
        if (page.text.length > 0) await this.file.append(page.text);
        user.next = page.nextLink;
        user.interactions += page.items;
        this.state.bytes = this.file.size;
        this.state.lines += page.items;
        this.state.updatedAt = new Date().toISOString();
        await writeCursorFile(this.cursorPath, this.state);
      } catch (error) {
        this.failure = { error };
        throw error;
      }
      this.onCommitted(page.items);
    };
    const done = this.tail.then(run);
    this.tail = done.catch(() => undefined);
    return done;
  }

  /** Waits for queued pages, then records the outcome (complete or not) in the cursor. */
  async finish(complete: boolean): Promise<void> {
    await this.tail;
    if (this.failure) return;
    if (this.state.complete === complete) return;
    this.state.complete = complete;
    this.state.updatedAt = new Date().toISOString();
    await writeCursorFile(this.cursorPath, this.state);
  }
}
