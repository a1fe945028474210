import { describe, expect, it } from 'vitest';
import { firstInvalidUtf8, utf8Text } from '../src/cli/load.js';
import { seeded as rng } from './helpers/rng.js';

const lenient = new TextDecoder('utf-8', { ignoreBOM: true });
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const valid = (b: Uint8Array) => {
  try {
    strict.decode(b);
    return true;
  } catch {
    return false;
  }
};

describe('spec files that are not UTF-8', () => {
  it('finds the first bad byte exactly where the WHATWG decoder puts its first replacement', () => {
    // Mostly text with a few high bytes, so sequences are often almost right: overlongs,
    // surrogates, truncations, code points above U+10FFFF, stray continuation bytes.
    const seeds = 4000;
    let invalid = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const r = rng(seed);
      const len = 1 + Math.floor(r() * 24);
      const b = new Uint8Array(len);
      const hot = [0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0x9f, 0xa0, 0x8f, 0x90];
      for (let i = 0; i < len; i++) b[i] = r() < 0.5 ? 0x61 : r() < 0.5 ? hot[Math.floor(r() * hot.length)]! : Math.floor(r() * 256);
      const at = firstInvalidUtf8(b);
      expect(valid(b.subarray(0, at)), `seed ${seed}: prefix before ${at} must be valid`).toBe(true);
      if (at === b.length) {
        expect(valid(b), `seed ${seed}`).toBe(true);
        expect(utf8Text(b), `seed ${seed}`).toBe(strict.decode(b));
        continue;
      }
      invalid++;
      expect(valid(b), `seed ${seed}`).toBe(false);
      expect(utf8Text(b), `seed ${seed}`).toEqual({ offset: at });
      // The lenient decoder replaces the first bad sequence right after the valid prefix.
      const prefix = lenient.decode(b.subarray(0, at));
      const all = lenient.decode(b);
      expect(all.startsWith(prefix), `seed ${seed}`).toBe(true);
      expect(all[prefix.length], `seed ${seed}: bytes ${Array.from(b, (x) => x.toString(16)).join(' ')}`).toBe('\ufffd');
    }
    // The generator must exercise both outcomes, or the comparison proves little.
    expect(invalid).toBeGreaterThan(seeds / 4);
    expect(invalid).toBeLessThan(seeds);
  });

  it('accepts every boundary of the encoding and rejects what is just past it', () => {
    const ok = [[0x7f], [0xc2, 0x80], [0xdf, 0xbf], [0xe0, 0xa0, 0x80], [0xed, 0x9f, 0xbf], [0xee, 0x80, 0x80], [0xf0, 0x90, 0x80, 0x80], [0xf4, 0x8f, 0xbf, 0xbf], [0xef, 0xbb, 0xbf]];
    const bad = [[0x80], [0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x9f, 0xbf], [0xed, 0xa0, 0x80], [0xf0, 0x8f, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xe2, 0x82], [0xff]];
    for (const b of ok) expect(firstInvalidUtf8(Uint8Array.from(b)), b.join(',')).toBe(b.length);
    for (const b of bad) expect(firstInvalidUtf8(Uint8Array.from([0x41, ...b])), b.join(',')).toBe(1);
  });
});
