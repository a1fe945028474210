import { afterEach, describe, expect, it, vi } from 'vitest';
import { actionPatterns, compilePolicy, evaluatePolicies, prepareRequest } from '../src/verify/iam/evaluator.js';
import { seeded } from './helpers/rng.js';

/** What the evaluator matched with before: a RegExp per pattern set (every regex metacharacter escaped, `*` any run, `?` one character). */
const escape = (s: string) => s.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
const globSource = (p: string) => escape(p).replace(/\*/g, '.*').replace(/\?/g, '.');
const plainOracle = (patterns: readonly string[], s: string) => new RegExp(`^(?:${patterns.map(globSource).join('|')})$`, 's').test(s);
/** ArnLike's oracle: the first five components' wildcards stay between two ':', the sixth is a plain glob. */
function arnOracle(patterns: readonly string[], s: string): boolean {
  const source = (p: string) => {
    const parts = p.split(':');
    const head = parts.slice(0, 5).map((c) => escape(c).replace(/\*/g, '[^:]*').replace(/\?/g, '[^:]'));
    return [...head, globSource(parts.slice(5).join(':'))].join(':');
  };
  return new RegExp(`^(?:${patterns.map(source).join('|')})$`, 's').test(s);
}

/** Literal parts hold regex metacharacters, ':' and a newline; patterns `*` at either end, `**`, `?`. */
const LETTERS = 'ab:.+^$()|[]\\/{}\n';
function draw(seed: number) {
  const rnd = seeded(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const text = (n: number, alphabet = LETTERS) => Array.from({ length: int(n) }, () => alphabet[int(alphabet.length)]).join('');
  const pattern = (n: number) => {
    let p = '';
    for (let k = int(n); k >= 0; k--) p += [text(3), '*', '**', '?', text(2)][int(5)];
    return p;
  };
  /** A text made from a pattern (its wildcards filled in at random), changed now and then: matches and near misses. */
  const textFor = (p: string) => {
    let s = '';
    for (const c of p) s += c === '*' ? text(4) : c === '?' ? text(2).slice(0, 1) || 'a' : c;
    if (rnd() < 0.3) {
      const at = int(s.length + 1);
      s = s.slice(0, at) + text(2) + s.slice(at + int(2));
    }
    return s;
  };
  return { rnd, int, text, pattern, textFor };
}
// Policy variables and template directives are refused at compile time: no pattern holds them.
const compilable = (p: string) => !p.includes('${') && !p.includes('%{');

describe('IAM globs with several wildcards are matched without a RegExp', () => {
  afterEach(() => vi.restoreAllMocks());

  it('match as the RegExp did, on 4,000 seeded pattern sets and texts (Action patterns)', () => {
    const g = draw(0x54a3);
    let matched = 0;
    for (let i = 0; i < 4000; i++) {
      const patterns = Array.from({ length: 1 + g.int(3) }, () => g.pattern(5));
      const s = g.rnd() < 0.7 ? g.textFor(patterns[g.int(patterns.length)]!) : g.text(10);
      const want = plainOracle(patterns, s);
      expect(actionPatterns(patterns).test(s), `${JSON.stringify(patterns)} on ${JSON.stringify(s)}`).toBe(want);
      if (want) matched++;
    }
    expect(matched, 'the texts match some pattern sets and miss others').toBeGreaterThan(1000);
    expect(matched).toBeLessThan(3800);
  });

  it('decide StringLike, ArnLike and Resource as the RegExp did, on 2,000 seeded policies', () => {
    const g = draw(0x54a4);
    const counts = { stringLike: 0, arnLike: 0, resource: 0 };
    for (let i = 0; i < 2000; i++) {
      // ArnLike takes six components (five ':' at least); Resource an ARN.
      const arn = () => `arn${[1, 2, 3, 4, 5].map(() => `:${g.pattern(2)}`).join('')}`;
      const stringLike = Array.from({ length: 1 + g.int(3) }, () => g.pattern(5)).filter(compilable);
      const arnLike = Array.from({ length: 1 + g.int(3) }, arn).filter(compilable);
      const resource = Array.from({ length: 1 + g.int(2) }, arn).filter(compilable);
      if (stringLike.length === 0 || arnLike.length === 0 || resource.length === 0) continue;
      const policy = compilePolicy({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: resource, Condition: { StringLike: { 'aws:userid': stringLike }, ArnLike: { 'aws:SourceArn': arnLike } } }] });
      const pick = <T>(xs: readonly T[]) => xs[g.int(xs.length)]!;
      const values = { userid: g.textFor(pick(stringLike)), sourceArn: g.textFor(pick(arnLike)), resource: g.textFor(pick(resource)) };
      // One of the three is drawn at random, the other two made to match: each is decided on its own.
      const which = pick(['stringLike', 'arnLike', 'resource'] as const);
      if (which !== 'stringLike') values.userid = stringLike[0]!.replace(/\?/g, 'a').replace(/\*/g, '');
      if (which !== 'arnLike') values.sourceArn = arnLike[0]!.replace(/\?/g, 'a').replace(/\*/g, '');
      if (which !== 'resource') values.resource = resource[0]!.replace(/\?/g, 'a').replace(/\*/g, '');
      const want = plainOracle(stringLike, values.userid) && arnOracle(arnLike, values.sourceArn) && plainOracle(resource, values.resource);
      const got = evaluatePolicies({ identity: [policy] }, prepareRequest({ principal: { type: 'AWS', id: 'arn:aws:iam::111122223333:role/r' }, action: 's3:GetObject', resource: values.resource, context: { 'aws:userid': values.userid, 'aws:SourceArn': values.sourceArn } }));
      expect(got, JSON.stringify({ stringLike, arnLike, resource, values })).toBe(want ? 'allow' : 'implicit-deny');
      if (want) counts[which]++;
    }
    for (const [k, n] of Object.entries(counts)) expect(n, `${k}: some policies allow, or the comparison shows little`).toBeGreaterThan(100);
  });

  it('a wildcard in the first five ARN components does not cross a ":", in the resource it does', () => {
    const ask = (pattern: string, arn: string) => {
      const policy = compilePolicy({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { ArnLike: { 'aws:SourceArn': pattern } } }] });
      return evaluatePolicies({ identity: [policy] }, prepareRequest({ principal: { type: 'AWS', id: 'arn:aws:iam::111122223333:role/r' }, action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', context: { 'aws:SourceArn': arn } }));
    };
    expect(ask('arn:aws:ecs:*:111122223333:task/*/*', 'arn:aws:ecs:eu-west-1:111122223333:task/c/0a')).toBe('allow');
    expect(ask('arn:aws:ecs:*:111122223333:task/*/*', 'arn:aws:ecs:eu-west-1:extra:111122223333:task/c/0a')).toBe('implicit-deny');
    expect(ask('arn:aws:ecs:??-west-1:*:task/*', 'arn:aws:ecs:eu-west-1:111122223333:task/c:0a')).toBe('allow');
    expect(ask('arn:aws:ecs:??-west-1:*:task/*', 'arn:aws:ecs:eu-west-12:111122223333:task/c')).toBe('implicit-deny');
    expect(() => ask('arn:aws:ecs:*:task/*', 'x')).toThrow('is not an ARN (expected arn:partition:service:region:account:resource)');
  });

  it('compiles no RegExp for patterns with several `*` or a `?`', () => {
    const made = vi.spyOn(globalThis, 'RegExp');
    const policy = compilePolicy({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:Get*Obj?ct*', Resource: 'arn:aws:s3:::bucket-*/runner/*/cache/*', Condition: { StringLike: { 'aws:userid': '*:ci-*-?' }, ArnLike: { 'aws:SourceArn': 'arn:aws:ecs:*:*:task/*/*' } } }],
    });
    const ask = (resource: string) => evaluatePolicies({ identity: [policy] }, prepareRequest({ principal: { type: 'AWS', id: 'arn:aws:iam::111122223333:role/r' }, action: 's3:GetObjectVersion', resource, context: { 'aws:userid': 'AROA:ci-runner-1', 'aws:SourceArn': 'arn:aws:ecs:eu-west-1:111122223333:task/c/0a' } }));
    expect(ask('arn:aws:s3:::bucket-a/runner/r1/cache/x.zip')).toBe('allow');
    expect(ask('arn:aws:s3:::bucket-a/runner/r1/other/x.zip')).toBe('implicit-deny');
    expect(made).not.toHaveBeenCalled();
  });
});
