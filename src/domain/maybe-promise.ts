/**
 * A value at hand, or one still to come. A store that answers from memory (SQLite on a server)
 * hands its reads back at once; one that needs a round trip (PostgreSQL) hands back a promise.
 * Code on the authorization path keeps a promise-free path for the first, where a promise per
 * step would cost a microtask turn and an allocation on every request.
 */
export type MaybePromise<T> = T | Promise<T>;

/** `next(value)`, at once when `value` is at hand, else once it resolves. */
export function andThen<T, U>(value: MaybePromise<T>, next: (value: T) => MaybePromise<U>): MaybePromise<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}
