import { describe, expect, it } from 'vitest';
import { holdsCredential } from '../src/verify/credentials.js';

/**
 * Stop 49 (49e): holdsCredential remembers each line's answer by the exact line, since a fleet's
 * user data repeats most of its lines runner after runner. Lines that look alike (the same key, a
 * value of the same length and shape) must keep their own answers, in whatever order the texts
 * come, and after the memo is emptied.
 */

// Keys of the form AWS issues, and AWS's documented example keys (placeholders: no credential);
// the two key IDs have the same length and characters of the same kinds.
const REAL_ID = 'AKIAQ7W3E9R2T5Y8U1I4';
const DOC_ID = 'AKIAIOSFODNN7EXAMPLE';
const REAL_SECRET = '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';
const DOC_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const TOKEN = 'glrt-Qm3xK8pV2wZ7rT5nB9cJ4h';

/** A boot script of one runner: the lines every runner's has, and its own at `line`. */
const script = (runner: string, line: string) =>
  ['#!/bin/bash', 'set -euo pipefail', `echo "runner ${runner}"`, line, 'systemctl enable --now gitlab-runner', ''].join('\n');

describe('holdsCredential: one answer per exact line', () => {
  it('alike lines keep their own answers, in either order', () => {
    const cases: [string, boolean][] = [
      [`export AWS_ACCESS_KEY_ID=${REAL_ID}`, true],
      [`export AWS_ACCESS_KEY_ID=${DOC_ID}`, false],
      [`export AWS_SECRET_ACCESS_KEY=${REAL_SECRET}`, true],
      [`export AWS_SECRET_ACCESS_KEY=${DOC_SECRET}`, false],
      [`RUNNER_TOKEN=${TOKEN}`, true],
      ['RUNNER_TOKEN=$(aws ssm get-parameter --name /fleet/a/runner-token)', false],
      [`RUNNER_TOKEN="${TOKEN}"`, true],
      ['RUNNER_TOKEN="$TOKEN_FROM_SSM_PARAMETER_A"', false],
    ];
    for (const order of [cases, [...cases].reverse(), cases]) {
      for (const [line, holds] of order) {
        expect(holdsCredential(script('a', line)), line).toBe(holds);
        expect(holdsCredential(script('b', line)), line).toBe(holds);
      }
    }
  });

  it('a text with a credential on one line holds it whichever of its lines were seen before', () => {
    const clean = script('c', 'echo ready');
    expect(holdsCredential(clean)).toBe(false);
    expect(holdsCredential(`${clean}RUNNER_TOKEN=${TOKEN}\n`)).toBe(true);
    expect(holdsCredential(`RUNNER_TOKEN=${TOKEN}\n${clean}`)).toBe(true);
    expect(holdsCredential(clean)).toBe(false);
  });

  it('answers stay right once more distinct lines were read than the memo keeps', () => {
    const secret = `export AWS_SECRET_ACCESS_KEY=${REAL_SECRET}`;
    const placeholder = `export AWS_SECRET_ACCESS_KEY=${DOC_SECRET}`;
    expect(holdsCredential(script('d', secret))).toBe(true);
    expect(holdsCredential(script('d', placeholder))).toBe(false);
    // 60,000 distinct lines with a needle (so the text is split), none a credential: the memo (20,000 lines) is emptied on the way.
    const many = Array.from({ length: 60_000 }, (_, i) => `AWS_SECRET_ACCESS_KEY=$(cat /run/secret-${i})`).join('\n');
    expect(holdsCredential(many)).toBe(false);
    expect(holdsCredential(script('e', secret))).toBe(true);
    expect(holdsCredential(script('e', placeholder))).toBe(false);
    expect(holdsCredential(`${many}\n${secret}`)).toBe(true);
  });
});
