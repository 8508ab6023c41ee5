import { AppError } from '../errors.js';

/**
 * One history scan at a time per caller. Reading one conversation means scanning a user's export
 * (the API cannot filter by session): a caller who asks for many at once would otherwise hold many
 * scans, each up to hundreds of pages, against the tenant's shared export rate.
 */
export class ScanGate {
  private readonly running = new Set<string>();

  async run<T>(caller: string, scan: () => Promise<T>): Promise<T> {
    if (this.running.has(caller))
      throw new AppError('Throttled', 'another conversation lookup of yours is still scanning the interaction history', {
        nextStep: 'Wait for it to finish, then read the next conversation; lookups run one at a time per user.',
      });
    this.running.add(caller);
    try {
      return await scan();
    } finally {
      this.running.delete(caller);
    }
  }
}
