import { GraphError } from './errors.js';
import type { Send } from './transport.js';

/**
 * A 401 from Graph means the cached token was rejected (revoked, signing key rolled over, clock skew).
 * Tell the token source to skip its cache, then retry exactly once; a second 401 is the caller's error.
 */
export function reauthOnce(onUnauthorized: () => void): (send: Send) => Send {
  return (send) => async (exchange) => {
    try {
      return await send(exchange);
    } catch (err) {
      if (!(err instanceof GraphError) || err.status !== 401 || exchange.signal?.aborted) throw err;
      onUnauthorized();
      return send(exchange);
    }
  };
}
