import { describe, expect, it } from 'vitest';
import { sameText, ScriptLines, unverifiedDownloadsAt, VERIFIED_DOWNLOAD_FUNCTIONS, VERIFIED_DOWNLOADS_BEGIN, VERIFIED_DOWNLOADS_END } from '../src/platforms/aws-vm/common.js';
import { randomInt } from './helpers/rng.js';

// unverifiedDownloadsAt compares the verified-download block in place (sameText) instead of joining
// its lines, and visits only the lines holding a download needle. These cases check both against
// what the joined text says, on seeded scripts.

const BLOCK = VERIFIED_DOWNLOAD_FUNCTIONS.join('\n');
const DIFFERS = 'has verified-download functions that differ from the generated ones';
const SHA = 'a'.repeat(64);

/** Lines a boot script is made of: plain commands, comments, downloads of each kind RF720 tells apart. */
const FILLER = [
  '',
  '# a comment',
  'echo hello',
  'REGION=eu-central-1',
  'dnf install -y jq',
  'yum install -y curl wget',
  'curl -fsSL https://example.com/tool -o /usr/local/bin/tool',
  'curl -fsSL https://example.com/install.sh | bash',
  `fetch_verified 'https://example.com/x' '${SHA}' /opt/x`,
  "fetch_verified 'https://example.com/x' 'latest' /opt/x",
  "import_key_verified 'https://example.com/k.gpg' 'ABCD' /etc/k.gpg",
  't="$(curl -fsS -X PUT http://169.254.169.254/latest/api/token)"',
  'echo ok | sudo bash',
  'wget https://example.com/file # fetch it',
  'cat x | grep y',
];

/** A block variant: the generated one, or it with one line changed, dropped, doubled or moved. */
function blockVariant(draw: (n: number) => number): string[] {
  const lines = [...VERIFIED_DOWNLOAD_FUNCTIONS];
  const inner = 1 + draw(lines.length - 2);
  switch (draw(6)) {
    case 0:
      lines[inner] = `${lines[inner]!} `;
      break;
    case 1:
      lines.splice(inner, 1);
      break;
    case 2:
      lines.splice(inner, 0, lines[inner]!);
      break;
    case 3:
      lines[inner] = lines[inner]!.replace(/.$/, '');
      break;
    default:
      break; // the generated block, as it is
  }
  return lines;
}

function script(seed: number): string {
  const draw = randomInt(seed);
  const out: string[] = draw(4) === 0 ? ['#!/bin/bash', 'echo early'] : ['#!/bin/bash', 'set -euo pipefail'];
  const n = draw(12);
  for (let i = 0; i < n; i++) out.push(FILLER[draw(FILLER.length)]!);
  switch (draw(5)) {
    case 0:
      break; // no block
    case 1:
      out.push(VERIFIED_DOWNLOADS_END, ...FILLER.slice(0, 3), VERIFIED_DOWNLOADS_BEGIN); // end before begin: no block
      break;
    case 2:
      out.push(VERIFIED_DOWNLOADS_BEGIN, 'echo stray', ...blockVariant(draw)); // a begin line before the block
      break;
    default:
      out.push(...blockVariant(draw));
  }
  const m = draw(12);
  for (let i = 0; i < m; i++) out.push(FILLER[draw(FILLER.length)]!);
  return out.join('\n');
}

describe('sameText (the block compared without joining its lines)', () => {
  it('says what the joined lines say, on seeded line lists', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const draw = randomInt(seed);
      const lines = Array.from({ length: 1 + draw(8) }, () => ['', 'a', 'ab', 'b\tc', 'abc'][draw(5)]!);
      const from = draw(lines.length);
      const to = from + draw(lines.length - from);
      const joined = lines.slice(from, to + 1).join('\n');
      // The joined text itself, or one a character longer, shorter or different.
      const expected = [joined, `${joined}a`, joined.slice(0, -1), joined.replace(/a/, 'b'), `${joined}\n`][draw(5)]!;
      expect(sameText(new ScriptLines(lines.join('\n')), from, to, expected), `seed ${seed}`).toBe(joined === expected);
    }
  });
});

describe('unverifiedDownloadsAt over seeded scripts', () => {
  it('reports differing verified-download functions exactly where the joined block differs', () => {
    let differs = 0;
    let same = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const text = script(seed);
      const lines = text.split('\n');
      const begin = lines.indexOf(VERIFIED_DOWNLOADS_BEGIN);
      const end = lines.indexOf(VERIFIED_DOWNLOADS_END);
      const block = begin >= 0 && end > begin ? lines.slice(begin, end + 1) : [];
      const want = block.length > 0 && block.join('\n') !== BLOCK;
      const got = unverifiedDownloadsAt(text).filter((p) => p.problem === DIFFERS);
      expect(got.length, `seed ${seed}`).toBe(want ? 1 : 0);
      if (want) expect(got[0]!.line, `seed ${seed}`).toBe(begin + 1);
      if (want) differs++;
      else if (block.length > 0) same++;
    }
    // Both answers occur among the seeds.
    expect(differs).toBeGreaterThan(20);
    expect(same).toBeGreaterThan(20);
  });

  it('reports each download line outside the block, and none inside it, by the line joined scripts give', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const text = script(seed);
      const lines = text.split('\n');
      const begin = lines.indexOf(VERIFIED_DOWNLOADS_BEGIN);
      const end = lines.indexOf(VERIFIED_DOWNLOADS_END);
      const hasBlock = begin >= 0 && end > begin;
      const problems = unverifiedDownloadsAt(text);
      for (const p of problems) {
        if (p.problem === DIFFERS || p.said === undefined) continue;
        const i = p.line! - 1;
        expect(hasBlock && i >= begin && i <= end, `seed ${seed}: line ${p.line} is inside the block`).toBe(false);
        expect(p.said).toBe(`line ${p.line}`);
      }
      // Every line piping a download into bash outside the block is reported, once as that.
      const piped = lines.flatMap((l, i) => (l === 'curl -fsSL https://example.com/install.sh | bash' && !(hasBlock && i >= begin && i <= end) ? [i + 1] : []));
      expect(problems.filter((p) => p.problem.startsWith('pipes a download into a shell')).map((p) => p.line), `seed ${seed}`).toEqual(piped);
      // A verified call without the block defining it.
      const calls = lines.flatMap((l, i) => (/^(fetch|import_key)_verified /.test(l) && !hasBlock ? [i + 1] : []));
      expect(problems.filter((p) => p.problem.includes('without defining it')).map((p) => p.line), `seed ${seed}`).toEqual(calls);
    }
  });
});
