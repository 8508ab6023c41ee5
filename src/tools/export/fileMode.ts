import { basename, resolve } from 'node:path';
import { AppError } from '../../errors.js';
import type { ToolContext } from '../tool.js';
import { cursorPathFor, type CursorFile, type CursorUser } from './cursorFile.js';
import { fetchExportPage } from '../../graph/copilot/interactionExport.js';
import { lockOutputFile } from './fileLock.js';
import { openExport, type OpenedExport } from './openExport.js';
import { PageWriter } from './pageWriter.js';
import { runBounded } from './pool.js';
import type { ExportQuery } from './query.js';

/**
 * Users exported at once. The rate limiter, not this, caps the request rate; lanes only hide
 * Graph's latency (a page can take a second), and each lane holds at most two pages in memory.
 */
const USER_LANES = 8;

export interface FileModeOptions {
  outputFile: string;
  overwrite: boolean;
  /** Stop starting new pages after this long and answer complete: false. */
  maxSeconds?: number | undefined;
}

export interface FileModeResult {
  path: string;
  cursorFile: string;
  bytes: number;
  /** Interactions (lines) in the file, from every call that wrote to it. */
  interactions: number;
  /** Interactions this call wrote. */
  written: number;
  pages: number;
  complete: boolean;
  resumed: boolean;
  discardedBytes: number;
  window: { since: string; until: string } | undefined;
  users: { id: string; upn?: string; interactions: number; complete: boolean }[];
}

/**
 * Every page of every asked user's export, appended to one JSONL file as it arrives (memory stays
 * flat), with a cursor file beside it so a later call continues where this one stopped: after an
 * error, a cancel, maxSeconds, or a killed process.
 */
export async function exportToFile(query: ExportQuery, opts: FileModeOptions, ctx: ToolContext): Promise<FileModeResult> {
  const outputFile = resolve(opts.outputFile);
  const cursorPath = cursorPathFor(outputFile);
  const lock = await lockOutputFile(outputFile);
  try {
    const opened = await openExport(outputFile, cursorPath, query, opts.overwrite, ctx);
    try {
      return await stream(opened, outputFile, cursorPath, opts, ctx);
    } finally {
      await opened.file.close();
    }
  } finally {
    await lock.release();
  }
}

async function stream(opened: OpenedExport, outputFile: string, cursorPath: string, opts: FileModeOptions, ctx: ToolContext): Promise<FileModeResult> {
  const { state } = opened;
  const linesBefore = state.lines;
  let pages = 0;
  const summary = (): FileModeResult => ({
    path: outputFile,
    cursorFile: cursorPath,
    bytes: state.bytes,
    interactions: state.lines,
    written: state.lines - linesBefore,
    pages,
    complete: state.complete,
    resumed: opened.resumed,
    discardedBytes: opened.discardedBytes,
    window: state.window ?? undefined,
    users: state.users.map((u) => ({ id: u.id, ...(u.upn ? { upn: u.upn } : {}), interactions: u.interactions, complete: u.next === null })),
  });
  if (state.complete) return summary();

  // Our own stop: the caller's cancel, or the first failure (the other lanes must not keep going).
  const stop = new AbortController();
  const onCancel = () => stop.abort(ctx.signal.reason);
  if (ctx.signal.aborted) stop.abort(ctx.signal.reason);
  else ctx.signal.addEventListener('abort', onCancel, { once: true });
  const deadline = opts.maxSeconds ? Date.now() + opts.maxSeconds * 1000 : Number.POSITIVE_INFINITY;
  const stopped = () => stop.signal.aborted || Date.now() >= deadline;
  let failure: { error: unknown } | undefined;

  const name = basename(outputFile);
  const writer = new PageWriter(opened.file, cursorPath, state, (items) => {
    // Progress must increase, so an empty page says nothing; the total is unknown until the last page.
    if (items > 0) ctx.progress(state.lines, undefined, `${state.lines} interactions written to ${name}`).catch(() => undefined);
  });

  const exportUser = async (user: CursorUser) => {
    // The cursor's `next` moves only when a page is on disk; this one runs a page ahead of it.
    let url: string | null = user.next;
    let committing: Promise<void> = Promise.resolve();
    try {
      while (url !== null && !stopped()) {
        const fetched = await fetchExportPage(ctx.appGraph, new URL(url), stop.signal);
        const page = writer.prepare(user, fetched);
        // Rendered. The promises that carried this page up from the Graph client resolved with this
        // very array; those already in V8's old generation (pending since the request started) would
        // keep every item alive through scavenges until the next full GC, promoting the page, so the
        // old generation grew with the export (issue 17; see `exchange` in graph/client.ts). Emptied, they hold nothing.
        fetched.items.length = 0;
        pages++;
        // One page of this user on its way to disk while the next is fetched; never two, so order holds.
        await committing;
        committing = writer.commit(user, page);
        committing.catch(() => undefined); // awaited below; this only keeps Node from calling it unhandled meanwhile
        url = page.nextLink;
      }
    } catch (error) {
      await committing.catch(() => undefined);
      throw error;
    }
    await committing;
  };

  await runBounded(
    state.users.filter((u) => u.next !== null),
    USER_LANES,
    stopped,
    async (user) => {
      try {
        await exportUser(user);
      } catch (error) {
        // The first real failure stops the others; their resulting Cancelled errors are not news.
        if (!failure && !ctx.signal.aborted) {
          failure = { error };
          stop.abort(error);
        }
        throw error;
      }
    },
  );
  ctx.signal.removeEventListener('abort', onCancel);

  const complete = !failure && state.users.every((u) => u.next === null);
  await writer.finish(complete);
  if (ctx.signal.aborted)
    throw new AppError('Cancelled', `the export into ${outputFile} was cancelled with ${state.lines} interactions in the file`, {
      cause: ctx.signal.reason,
      nextStep: 'Call again with the same outputFile and arguments to continue where it stopped.',
      details: { interactions: state.lines, bytes: state.bytes },
    });
  if (failure) throw withResumeAdvice(failure.error, outputFile, state);
  return summary();
}

function withResumeAdvice(error: unknown, outputFile: string, state: CursorFile): unknown {
  if (!(error instanceof AppError)) return error;
  return new AppError(error.code, `${error.message} (the export stopped with ${state.lines} interactions safely in ${outputFile})`, {
    cause: error,
    nextStep: `${error.nextStep ? `${error.nextStep} ` : ''}Then call again with the same outputFile and arguments: the export continues where it stopped.`,
    details: { ...error.details, interactions: state.lines, bytes: state.bytes },
  });
}
