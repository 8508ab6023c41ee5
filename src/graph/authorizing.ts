import { AppError } from '../errors.js';
import type { Send } from './transport.js';

/**
 * Puts the access token on each attempt before the per-route policies see it: a policy keyed by the
 * caller (the retrieval budget) then always knows who is calling, even for the very first calls of a
 * stdio session, which race the first sign-in.
 */
export function authorizing(getToken: (scopes: string[], signal?: AbortSignal) => Promise<string>): (send: Send) => Send {
  return (send) => async (ex) => {
    const cancelled = () => new AppError('Cancelled', `${ex.method} ${ex.url.pathname} was cancelled`, { cause: ex.signal?.reason, nextStep: 'Nothing to do: the caller cancelled the request.' });
    // Cancelled before it started: no token is asked for.
    if (ex.signal?.aborted) throw cancelled();
    let token: string;
    try {
      token = await getToken(ex.scopes, ex.signal);
    } catch (err) {
      if (ex.signal?.aborted) throw cancelled();
      throw err;
    }
    return send({ ...ex, token });
  };
}
