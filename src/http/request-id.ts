import { randomBytes } from 'node:crypto';

/**
 * Request ids for answers and log lines: a random prefix drawn once per server (so the ids of
 * several nodes behind one load balancer never collide) and a counter. A UUID per request cost
 * a random draw and its formatting on every director call.
 */
export function requestIds(): () => string {
  const prefix = randomBytes(6).toString('hex');
  let counter = 0;
  return () => {
    counter++;
    return `${prefix}-${counter.toString(36)}`;
  };
}
