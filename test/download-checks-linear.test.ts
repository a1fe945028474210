import { describe, expect, it } from 'vitest';
import { downloadOutput, SearchBudget, unverifiedDownloadsAt } from '../src/platforms/aws-vm/common.js';
import { randomInt } from './helpers/rng.js';

// RF720's "downloads without checking a pinned SHA-256" reads, for a `curl -o FILE` line, the file
// the command writes and the next line naming it. Both were quadratic on hostile text (a line of
// thousands of `curl` words: the lazy pattern rescanned it from each; thousands of downloads named
// nowhere after: the rest of the script read line by line for each). These cases check the answers
// against the patterns as they were, and that the searches are bounded by counting, not timing.

const OLD_CURL = /\bcurl\b.*?(?:\s-[A-Za-z]*o\s*|\s--output[=\s]\s*)(["']?)([^\s"']+)\1/;
const OLD_WGET = /\bwget\b.*?(?:\s-[A-Za-z]*O\s*|\s--output-document[=\s]\s*)(["']?)([^\s"']+)\1/;
const oldOutput = (code: string) => (OLD_CURL.exec(code) ?? OLD_WGET.exec(code))?.[2];

const PIECES = ['curl', 'wget', ' ', '  ', ' ', ' ', '-o', '-O', ' -o ', ' -O ', ' --output ', '-fsSLo', '--output', '--output=', '--output-document', '"', "'", '/opt/x', 'f.tgz', '-', '\r', '\u2028', 'xcurl', 'curlx', '\t', '=', 'https://e.example/a'];
const SHA = 'a'.repeat(64);

describe('the file a download writes (downloadOutput)', () => {
  it('is the old pattern\'s, on 20,000 seeded lines of curl/wget words, options, quotes and line terminators', () => {
    const draw = randomInt(20261207);
    let found = 0;
    for (let n = 0; n < 20_000; n++) {
      let line = draw(3) === 0 ? '' : ['curl ', 'wget '][draw(2)]!;
      const k = 1 + draw(14);
      for (let i = 0; i < k; i++) line += PIECES[draw(PIECES.length)]!;
      const want = oldOutput(line);
      if (want !== undefined) found++;
      expect(downloadOutput(line), JSON.stringify(line)).toBe(want);
    }
    // The draws reach both answers.
    expect(found).toBeGreaterThan(1_000);
    expect(found).toBeLessThan(19_000);
  });

  it('reads a line of 200,000 curl words once: no output, no finding beyond the line\'s own', () => {
    const line = 'curl '.repeat(200_000);
    expect(downloadOutput(line)).toBeUndefined();
    expect(unverifiedDownloadsAt(`#!/bin/bash\nset -euo pipefail\n${line}`).map((p) => p.line)).toEqual([3]);
  });

  it('takes the output after a later curl past a carriage return, as the old pattern did', () => {
    const line = `curl https://e.example/a\rcurl -o /opt/y https://e.example/b`;
    expect(oldOutput(line)).toBe('/opt/y');
    expect(downloadOutput(line)).toBe('/opt/y');
  });
});

describe('the next line naming a downloaded file', () => {
  const script = (...lines: string[]) => ['#!/bin/bash', 'set -euo pipefail', ...lines].join('\n');

  it('a pinned check on the next line naming it: checked; a use before the check: not', () => {
    expect(unverifiedDownloadsAt(script('curl -fsSL https://e.example/t -o /opt/t', 'echo hi', `echo "${SHA}  /opt/t" | sha256sum -c -`, 'tar xzf /opt/t'))).toEqual([]);
    expect(unverifiedDownloadsAt(script('curl -fsSL https://e.example/t -o /opt/t', 'tar xzf /opt/t', `echo "${SHA}  /opt/t" | sha256sum -c -`)).map((p) => p.line)).toEqual([3]);
  });

  it('a mention in a comment is passed over, and so is a line holding the name only in its comment', () => {
    expect(unverifiedDownloadsAt(script('curl -fsSL https://e.example/t -o /opt/t', '# then check /opt/t', 'ls # /opt/t', `echo "${SHA}  /opt/t" | sha256sum -c -`))).toEqual([]);
  });

  it('a check 5,000 lines after the download is still found', () => {
    const filler = Array.from({ length: 5_000 }, (_, i) => `echo ${i}`);
    expect(unverifiedDownloadsAt(script('curl -fsSL https://e.example/t -o /opt/t', ...filler, `echo "${SHA}  /opt/t" | sha256sum -c -`))).toEqual([]);
  });

  it('20,000 downloads named nowhere after: each reported, the searches within their budget', () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `curl -fsSL https://e.example/t${i} -o /opt/f${i}`);
    const text = script(...lines);
    expect(unverifiedDownloadsAt(text)).toHaveLength(20_000);
    // The budget: what one script's searches may read in all, counted.
    const budget = new SearchBudget(text.length);
    let searches = 0;
    while (budget.indexOf(text, '/opt/none', 0) !== undefined) searches++;
    expect(searches).toBe(Math.ceil(Math.max(64 * text.length, 32 * 1024 * 1024) / text.length));
  });

  it('past the budget a download counts as not checked (the finding is made)', () => {
    const named = Array.from({ length: 3_000 }, (_, i) => `curl -fsSL https://e.example/t${i} -o /opt/f${i}`);
    const pad = 'x'.repeat(12_000);
    const text = script(...named, `# ${pad}`, 'curl -fsSL https://e.example/last -o /opt/last', `echo "${SHA}  /opt/last" | sha256sum -c -`);
    const found = unverifiedDownloadsAt(text).map((p) => p.line);
    // 3,000 searches over ~12 KB each pass 32 MiB: the checked download at the end is reported too.
    expect(text.length * 3_000).toBeGreaterThan(32 * 1024 * 1024);
    expect(found).toHaveLength(3_001);
    // With fewer downloads before it, the same last download is checked.
    const few = script(...named.slice(0, 10), `# ${pad}`, 'curl -fsSL https://e.example/last -o /opt/last', `echo "${SHA}  /opt/last" | sha256sum -c -`);
    expect(unverifiedDownloadsAt(few)).toHaveLength(10);
  });
});
