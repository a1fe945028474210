import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { scanArtifacts } from '../src/verify/secrets.js';
import { CLOUD_KEY_NAMES, SHAPES } from '../src/verify/credentials.js';
import type { Finding } from '../src/spec/findings.js';

/**
 * Plan's scan of every generated artifact (RF304) and the doctor's scan of the files it reads (RF940)
 * take what a credential looks like from one place (verify/credentials.ts): a shape added there is
 * seen by both, a key name too, and what one takes for a placeholder or a reference the other does.
 */

// Fake credentials of each shape (documented example values, never real keys). A shape added to
// SHAPES needs its sample here: the first test fails until it has one, and then both scans are held to it.
const SAMPLES: Record<string, string> = {
  'an AWS access key id': 'AKIAIOSFODNN7QW3RT5Y',
  'an Azure storage account key': 'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
  'an Azure client secret': 'abc8Q~ExampleExampleExampleExampleExa',
  'a GitLab runner authentication token': 'glrt-EXAMPLEexampleEXAMPLE12',
  'a GitLab runner registration token': 'GR1348941EXAMPLEexampleEXAMPLE',
  'a GitLab personal access token': 'glpat-EXAMPLEexampleEXAMPLE',
  'a private key': '-----BEGIN RSA PRIVATE KEY-----',
};

/** What plan's scan says of one generated JSON artifact. */
const planSays = (content: unknown): string[] => scanArtifacts([{ path: 'out/doc.json', format: 'json', content }]).findings.map((f: Finding) => `${f.code} ${f.message}`);
/** What the doctor's scan says of the same document written in a file. */
const doctorSays = (content: unknown): string[] =>
  doctor([{ path: 'doc.json', bytes: new TextEncoder().encode(JSON.stringify(content, null, 2)) }])
    .findings.filter((f) => f.code === 'RF940')
    .map((f) => f.message);

describe('plan (RF304) and the doctor (RF940) read credentials by the same shapes', () => {
  it('every shared shape has a sample here', () => {
    expect(SHAPES.map((s) => s.name).filter((n) => SAMPLES[n] === undefined)).toEqual([]);
  });

  it.each(SHAPES.map((s) => [s.name] as const))('%s: both find it, by the same name', (name) => {
    const doc = { note: `see ${SAMPLES[name]!} here` };
    expect(planSays(doc)).toEqual([`RF304 ${name} in out/doc.json`]);
    expect(doctorSays(doc)).toEqual([expect.stringMatching(new RegExp(`^${name} is written in doc\\.json`))]);
  });

  it.each(CLOUD_KEY_NAMES.map((k) => [k] as const))('a literal given to the cloud credential key %s: both find it', (key) => {
    const doc = { [key]: 'literal-secret-value-1234' };
    expect(planSays(doc)).toEqual([`RF304 a static credential (${key}) in out/doc.json`]);
    expect(doctorSays(doc)).toEqual([expect.stringMatching(new RegExp(`^a static credential \\(${key}\\) is written in doc\\.json`))]);
  });

  it('an env entry NAME=value of a credential key: both find it', () => {
    const doc = { environment: ['A=1', 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYQ7W3E9R2T5'] };
    expect(planSays(doc)).toEqual(['RF304 a static credential (AWS_SECRET_ACCESS_KEY) in out/doc.json']);
    expect(doctorSays(doc)).toHaveLength(1);
  });

  // Placeholders (a prefix and one character repeated), references and template placeholders: neither says a thing.
  it.each([
    ['a placeholder access key id', { example: 'AKIAXXXXXXXXXXXXXXXX' }],
    ['a placeholder runner token', { token: 'glrt-XXXXXXXXXXXXXXXXXXXX' }],
    ['a Terraform reference under a credential key', { secret_key: '${var.secret_key}' }],
    ['a CI variable under a credential key', { AWS_SECRET_ACCESS_KEY: '$DEPLOY_SECRET' }],
    ['a CI variable in an env entry', { environment: ['AWS_SECRET_ACCESS_KEY=$DEPLOY_SECRET'] }],
    ['a template placeholder under a credential key', { SecretKey: '{{ .Values.secretKey }}' }],
    ['an empty credential key', { AccessKey: '' }],
    // A script's positional parameters (`export AWS_ACCESS_KEY_ID="$1"` in a helper function) are references too.
    ['a positional parameter under a credential key', { AWS_SECRET_ACCESS_KEY: '$1' }],
    ['a positional parameter in an env entry', { environment: ['AWS_SECRET_ACCESS_KEY=$2', 'AWS_SESSION_TOKEN=${3}'] }],
    ['all the arguments under a credential key', { SecretKey: '$@' }],
  ])('%s: neither finds a credential', (_, doc) => {
    expect(planSays(doc)).toEqual([]);
    expect(doctorSays(doc)).toEqual([]);
  });
});
