import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseJsonBody, stripTrailingCommas } from './json-body.js';

describe('parseJsonBody', () => {
  it('parses strict JSON', () => {
    assert.deepEqual(parseJsonBody('{"a":[1,2]}'), { a: [1, 2] });
  });
  it("accepts trailing commas, as in Millicast's own examples", () => {
    assert.deepEqual(parseJsonBody('{"streams": [{"streamName": ".*", "isRegex": true}, ]}'), {
      streams: [{ streamName: '.*', isRegex: true }],
    });
    assert.deepEqual(parseJsonBody('{"a": 1,\n}'), { a: 1 });
  });
  it('leaves commas inside strings alone', () => {
    assert.equal(stripTrailingCommas('{"a": ",]", "b": "x\\",}",}'), '{"a": ",]", "b": "x\\",}"}');
    assert.deepEqual(parseJsonBody('{"a": ", ]",}'), { a: ', ]' });
  });
  it('still rejects broken JSON', () => {
    assert.throws(() => parseJsonBody('{"a": }'), SyntaxError);
    assert.throws(() => parseJsonBody('{"a": 1,,}'), SyntaxError);
    assert.throws(() => parseJsonBody('[,]'), SyntaxError);
  });
  it('empty body is undefined', () => {
    assert.equal(parseJsonBody('  '), undefined);
  });
  it('refuses prototype-polluting keys', () => {
    assert.throws(() => parseJsonBody('{"__proto__": {"x": 1}}'), /forbidden key/);
    assert.throws(() => parseJsonBody('{"a": {"constructor": {"prototype": 1}}}'), /forbidden key/);
    // A \u escape spells the same key without its letters in the text.
    assert.throws(() => parseJsonBody('{"__proto\\u005f_": {"x": 1}}'), /forbidden key/);
    assert.throws(() => parseJsonBody('{"\\u0063onstructor": 1}'), /forbidden key/);
    assert.deepEqual(parseJsonBody('{"text": "caf\\u00e9"}'), { text: 'café' });
  });
});
