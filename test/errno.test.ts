import { describe, expect, it } from 'vitest';
import { errnoReason } from '../src/io/errno.js';

const err = (code: string | undefined, message = `${code}: something, open '/x'`) => Object.assign(new Error(`${message}\n    at frame`), code ? { code } : {});

describe('errnoReason: one wording of file system errors for every command', () => {
  it('words the codes it knows, and lets a context word one its own way', () => {
    expect(errnoReason(err('ENOENT'))).toBe('no such file or folder');
    expect(errnoReason(err('ENOENT'), { ENOENT: 'its folder does not exist' })).toBe('its folder does not exist');
    expect(errnoReason(err('EISDIR'))).toBe('it is a folder');
    expect(errnoReason(err('EACCES'), { ENOENT: 'x' })).toBe('permission denied');
    expect(errnoReason(err('ELOOP'))).toBe('a loop of symbolic links');
  });

  it('gives the first line of the message for any other error, never a stack', () => {
    expect(errnoReason(err('EBUSY'))).toBe("EBUSY: something, open '/x'");
    expect(errnoReason(err(undefined, 'plain failure'))).toBe('plain failure');
    expect(errnoReason('a string')).toBe('a string');
  });
});
