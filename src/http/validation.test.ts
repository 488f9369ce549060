import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONTROL_CHARACTER_KEYWORD, controlCharacterErrors } from './validation.js';

const at = (errors: ReturnType<typeof controlCharacterErrors>) => errors.map((e) => [e.instancePath, e.data]);

describe('controlCharacterErrors', () => {
  it('finds nothing in clean data of any shape', () => {
    for (const data of [undefined, null, 1, true, '', 'feed', [], {}, { a: ['x', { b: 'y' }], c: 2 }]) {
      assert.deepEqual(controlCharacterErrors(data), []);
    }
  });

  it('reports every string holding a control character, with its JSON pointer, in order', () => {
    const errors = controlCharacterErrors({
      label: 'a\u0000b',
      streams: [{ streamName: 'ok' }, { streamName: 'bad\u001f' }],
      'we/ird~key': ['\n'],
    });
    assert.deepEqual(at(errors), [
      ['/label', 'a\u0000b'],
      ['/streams/1/streamName', 'bad\u001f'],
      ['/we~1ird~0key/0', '\n'],
    ]);
    for (const e of errors) assert.equal(e.keyword, CONTROL_CHARACTER_KEYWORD);
  });

  it('reports a field name holding a control character, then its value', () => {
    assert.deepEqual(at(controlCharacterErrors({ 'x\ty': 'v\u0001' })), [
      ['/x\ty', 'x\ty'],
      ['/x\ty', 'v\u0001'],
    ]);
  });

  it('leaves characters from U+0020 up alone (DEL, accents, emoji)', () => {
    assert.deepEqual(controlCharacterErrors(['\u007f', 'flux-é', '🎥', ' ']), []);
  });

  it('reports a bare string at the root with an empty path', () => {
    assert.deepEqual(at(controlCharacterErrors('\r')), [['', '\r']]);
  });
});
