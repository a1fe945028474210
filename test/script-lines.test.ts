import { describe, expect, it } from 'vitest';
import { ScriptLines, unverifiedDownloadsAt, VERIFIED_DOWNLOAD_FUNCTIONS, VERIFIED_DOWNLOADS_BEGIN, VERIFIED_DOWNLOADS_END } from '../src/platforms/aws-vm/common.js';
import { randomInt } from './helpers/rng.js';

// unverifiedDownloadsAt reads a boot script's lines by number from its text (ScriptLines) instead
// of splitting it. These cases hold ScriptLines to what `split('\n')` and the array searches it
// replaced answer, on seeded texts made of the characters where they could part: carriage returns,
// every kind of white space String#trim takes (and characters it does not), empty lines, a
// trailing newline, the marker lines as parts of longer lines.

const SET = 'set -euo pipefail';
const PIECES = [
  '', '\n', '\n\n', '\r', '\r\n', ' ', '\t', '\u000b', '\f', '\u00a0', '\u2028', '\u2029', '\ufeff', '\u3000', '\u200b', '\u0085', '\u180e', '\ud800',
  '#', '# x', 'x', 'echo ok', SET, `${SET}x`, `x${SET}`, `# ${SET}`, VERIFIED_DOWNLOADS_BEGIN, VERIFIED_DOWNLOADS_END, `${VERIFIED_DOWNLOADS_BEGIN} `, `#${VERIFIED_DOWNLOADS_END}`,
  'curl -fsSL https://x.example/a | sh', 'wget https://x.example/f',
];

function text(seed: number): string {
  const draw = randomInt(seed);
  let s = '';
  const n = draw(40);
  for (let i = 0; i < n; i++) s += PIECES[draw(PIECES.length)]!;
  return s;
}

describe('ScriptLines answers what the split lines answer', () => {
  it.each([0, 1, 2, 3])('seed block %i (1,000 seeds): length, each line, the first exact, trimmed and command line', (block) => {
    const differ: string[] = [];
    for (let seed = block * 1000; seed < block * 1000 + 1000; seed++) {
      const t = text(seed);
      const split = t.split('\n');
      const lines = new ScriptLines(t);
      const got = {
        length: lines.length,
        each: Array.from({ length: lines.length }, (_, i) => lines.at(i)),
        joinedByPlace: Array.from({ length: lines.length }, (_, i) => t.slice(lines.start(i), lines.end(i))),
        begin: lines.first(VERIFIED_DOWNLOADS_BEGIN),
        end: lines.first(VERIFIED_DOWNLOADS_END),
        set: lines.firstTrimmed(SET),
        command: lines.firstCommand(),
      };
      const want = {
        length: split.length,
        each: split,
        joinedByPlace: split,
        begin: split.indexOf(VERIFIED_DOWNLOADS_BEGIN),
        end: split.indexOf(VERIFIED_DOWNLOADS_END),
        set: split.findIndex((l) => l.trim() === SET),
        command: split.findIndex((l, i) => i > 0 && l.trim() !== '' && !l.trim().startsWith('#')),
      };
      if (JSON.stringify(got) !== JSON.stringify(want)) differ.push(`seed ${seed}: ${JSON.stringify(t)}`);
    }
    expect(differ.slice(0, 3)).toEqual([]);
  });

  it.each([
    ['the empty text', '', 1],
    ['a trailing newline', 'a\n', 2],
    ['only newlines', '\n\n\n', 4],
  ])('%s', (_, t, n) => {
    const lines = new ScriptLines(t);
    expect(lines.length).toBe(n);
    expect(Array.from({ length: n }, (_, i) => lines.at(i))).toEqual(t.split('\n'));
  });

  it.each([
    ['with a no-break space before it', false, `#!/bin/bash\n\u00a0${SET}\necho ok`],
    ['with a carriage return after it (CRLF lines)', false, `#!/bin/bash\r\n${SET}\r\necho ok\r\n`],
    ['with a zero-width space before it (not white space)', true, `#!/bin/bash\n\u200b${SET}\necho ok`],
    ['only in a comment', true, `#!/bin/bash\n# ${SET}\necho ok`],
    ['after the first command', true, `#!/bin/bash\necho early\n${SET}`],
    ['after blank lines and comments', false, `#!/bin/bash\n\n  # note\n\t${SET}\necho ok`],
  ])('set -euo pipefail, %s: reported missing %s', (_, reported, script) => {
    const problems = unverifiedDownloadsAt(script).filter((p) => p.problem.startsWith('does not start with set -euo pipefail'));
    expect(problems.length).toBe(reported ? 1 : 0);
  });

  it('finds the verified-download block at the start and at the end of the text, and only as whole lines', () => {
    const block = VERIFIED_DOWNLOAD_FUNCTIONS.join('\n');
    const DIFFERS = 'has verified-download functions that differ from the generated ones';
    const fetch = `fetch_verified 'https://x.example/a' '${'a'.repeat(64)}' /opt/a`;
    // The generated block first and last: nothing differs, its fetch is defined.
    expect(unverifiedDownloadsAt(`${block}\n${fetch}`, { shell: false })).toEqual([]);
    expect(unverifiedDownloadsAt(`${fetch}\n${block}`, { shell: false })).toEqual([]);
    // A begin marker inside a longer line is no block: the fetch calls what is not defined.
    const inLine = unverifiedDownloadsAt(`echo ${block}\n${fetch}`, { shell: false });
    expect(inLine.map((p) => p.problem)).toContain(`calls fetch_verified without defining it (line ${VERIFIED_DOWNLOAD_FUNCTIONS.length + 1})`);
    // The block with a line changed differs, reported at its begin line.
    const changed = [...VERIFIED_DOWNLOAD_FUNCTIONS];
    changed[2] = `${changed[2]!} `;
    expect(unverifiedDownloadsAt(`${fetch}\n${changed.join('\n')}`, { shell: false }).filter((p) => p.problem === DIFFERS).map((p) => p.line)).toEqual([2]);
  });
});
