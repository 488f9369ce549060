import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Account } from '../../domain/model.js';
import { fill } from './director.js';

const account = (streamAccountId: string) => ({ id: 1, name: 'a', streamAccountId, createdOn: 0 }) as Account;

/** The plain definition: every placeholder replaced by its URL-encoded value. */
const naive = (template: string, a: Account, streamName: string) =>
  template
    .replaceAll('{streamAccountId}', encodeURIComponent(a.streamAccountId))
    .replaceAll('{streamName}', encodeURIComponent(streamName));

describe('fill (director URL templates)', () => {
  it('fills the usual templates', () => {
    assert.deepEqual(
      fill(
        ['rtmp://h:1935/live/{streamName}', 'https://h/{streamAccountId}/{streamName}/index.m3u8', 'no placeholder'],
        account('acc'),
        'a b/c',
      ),
      ['rtmp://h:1935/live/a%20b%2Fc', 'https://h/acc/a%20b%2Fc/index.m3u8', 'no placeholder'],
    );
  });

  it('agrees with plain replacement for any templates and values, the same array asked twice', () => {
    const piece = fc.oneof(
      fc.constantFrom('{streamName}', '{streamAccountId}', '{', '}', '{streamName', '/'),
      fc.string(),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.array(piece, { maxLength: 6 }).map((p) => p.join('')),
          { maxLength: 4 },
        ),
        fc.string(),
        fc.string(),
        (templates, id, name) => {
          for (let i = 0; i < 2; i++) {
            assert.deepEqual(
              fill(templates, account(id), name),
              templates.map((t) => naive(t, account(id), name)),
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
