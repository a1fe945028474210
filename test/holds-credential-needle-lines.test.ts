import { describe, expect, it } from 'vitest';
import { seeded } from './helpers/rng.js';
import { CREDENTIAL_NEEDLES, holdsCredential, lineCredential } from '../src/verify/credentials.js';

/**
 * Stop 55 (55b): holdsCredential reads only the lines of a text that hold a needle (a shape's, a
 * credential key's name, a docker-machine key option's in any case), not every line. The answer
 * must be the one reading every line gives: the text holds one of CREDENTIAL_NEEDLES (as written),
 * and one of its lines holds a credential (lineCredential). Checked on seeded texts built from
 * lines with and without credentials, needles in other cases, and needles on lines that hold none.
 */

/** The answer reading every line: what holdsCredential gave before stop 55. */
const ANY = new RegExp(CREDENTIAL_NEEDLES.join('|'));
const everyLine = (text: string): boolean => ANY.test(text) && text.split('\n').some((line) => lineCredential(line, true) !== undefined);

const REAL_ID = 'AKIAQ7W3E9R2T5Y8U1I4';
const DOC_ID = 'AKIAIOSFODNN7EXAMPLE';
const REAL_SECRET = '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';
const TOKEN = 'glrt-Qm3xK8pV2wZ7rT5nB9cJ4h';

/** Lines: plain ones, needles holding no credential, credentials of each kind, key options in other cases. */
const LINES = [
  '#!/bin/bash',
  'set -euo pipefail',
  'echo "runner a"',
  '',
  'systemctl enable --now gitlab-runner',
  `export AWS_ACCESS_KEY_ID=${REAL_ID}`,
  `export AWS_ACCESS_KEY_ID=${DOC_ID}`,
  `export AWS_SECRET_ACCESS_KEY=${REAL_SECRET}`,
  'export AWS_SECRET_ACCESS_KEY=$(cat /run/secret)',
  `RUNNER_TOKEN=${TOKEN}`,
  'RUNNER_TOKEN=$(aws ssm get-parameter --name /fleet/a/runner-token)',
  'echo AccessKey is read from the parameter store',
  `  SecretKey = "${REAL_SECRET}"`,
  '  SecretKey = "{{ .Values.secret }}"',
  `  "amazonec2-secret-key=${REAL_SECRET}",`,
  `  "AMAZONEC2-SECRET-KEY=${REAL_SECRET}",`,
  `  "Amazonec2-Access-Key=${REAL_ID}",`,
  '  "amazonec2-secret-key=changeme",',
  '  "amazonec2-instance-type=m5.large",',
  'REGISTRATION_TOKEN=GR1348941abcdefghijklmnop',
  'CI_SERVER_TOKEN=placeholder',
  'echo "-----BEGIN RSA PRIVATE KEY-----"',
  'azure-client-secret=abc1Q~defghijklmnopqrstuvwxyz0123456789',
  'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=' + 'A'.repeat(44) + '==',
  'echo glpat-',
  'the ASIA region and the word ACCA',
];


describe('holdsCredential: the lines with a needle decide as every line does', () => {
  it('agrees with reading every line on 4,000 seeded texts', () => {
    const next = seeded(55);
    let holding = 0;
    for (let n = 0; n < 4000; n++) {
      const count = 1 + Math.floor(next() * 12);
      const lines = Array.from({ length: count }, () => {
        // Most lines of a boot script are plain ones.
        const line = next() < 0.8 ? LINES[Math.floor(next() * 5)]! : LINES[Math.floor(next() * LINES.length)]!;
        // Some lines joined to another, so a needle sits mid-line or two on one line.
        return next() < 0.2 ? `${line} ${LINES[Math.floor(next() * LINES.length)]!}` : line;
      });
      const text = lines.join('\n') + (next() < 0.5 ? '\n' : '');
      const want = everyLine(text);
      if (want) holding++;
      expect(holdsCredential(text), JSON.stringify(text)).toBe(want);
    }
    // Both answers were tried, many times each.
    expect(holding).toBeGreaterThan(500);
    expect(holding).toBeLessThan(3500);
  });

  it('a key option in capitals holds a credential where another needle lets the text be read', () => {
    const upper = `  "AMAZONEC2-SECRET-KEY=${REAL_SECRET}",`;
    expect(lineCredential(upper, true)).toBeDefined();
    // With a needle as written elsewhere in the text, its lines are read, the capitals' too.
    expect(holdsCredential(['echo AccessKey is read from the parameter store', upper].join('\n'))).toBe(true);
    expect(holdsCredential([upper, 'echo glpat-'].join('\n'))).toBe(true);
  });
});

describe('a docker-machine key option written in capitals is a needle too (stop 55)', () => {
  it('holdsCredential finds it and maskCredentials hides it where it is the text\'s only needle (before: passed over, the value echoed as written)', async () => {
    const { maskCredentials } = await import('../src/verify/credentials.js');
    const text = `#!/bin/bash\ngitlab-runner register --machine-machine-options "AMAZONEC2-SECRET-KEY=${REAL_SECRET}"\n`;
    expect(holdsCredential(text)).toBe(true);
    expect(maskCredentials(text)).not.toContain(REAL_SECRET);
  });

  it('twin: the same line with a placeholder value holds none, and an option name alone is no credential', () => {
    expect(holdsCredential('gitlab-runner register --machine-machine-options "AMAZONEC2-SECRET-KEY=changeme"\n')).toBe(false);
    expect(holdsCredential('echo AMAZONEC2-SECRET-KEY\n')).toBe(false);
  });
});
