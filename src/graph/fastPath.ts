import type * as z from 'zod';

/**
 * A schema whose safeParse first tries a hand-written decoder of the same shape (for answers on a
 * hot path, where zod's checking costs more than the request's own parsing). The decoder answers
 * undefined when it is not sure, and zod decides, with its precise issues. Only safeParse is fast:
 * nested in another schema, the wrapped one is plain zod. A decoder must give zod's output for every
 * input it accepts; each has a test that compares the two on generated answers.
 */
export function withFastPath<S extends z.ZodType>(schema: S, fast: (value: unknown) => z.output<S> | undefined): S {
  const wrapped = Object.create(schema) as S;
  const slow = schema.safeParse.bind(schema);
  const safeParse = (value: unknown, params?: Parameters<S['safeParse']>[1]) => {
    const data = fast(value);
    return data === undefined ? slow(value, params) : ({ success: true, data } as ReturnType<S['safeParse']>);
  };
  Object.defineProperty(wrapped, 'safeParse', { value: safeParse });
  return wrapped;
}
