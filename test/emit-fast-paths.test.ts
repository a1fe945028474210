import { describe, expect, it } from 'vitest';
import { base64OfUtf8, launchTemplate, userDataOf } from '../src/platforms/aws-vm/common.js';
import { byName, mergeFragments, mergeResources, merged, named, type TerraformResources } from '../src/emit/artifacts.js';
import type { FleetDocuments } from '../src/emit/types.js';
import { HASH_COMMENT, serializeArtifact } from '../src/emit/serialize.js';
import { planValue, synthFiles } from '../src/core.js';
import { exampleValue } from './helpers/fleet.js';
import { seeded } from './helpers/rng.js';

/**
 * Emit's fast paths against the code they replaced, on seeded random inputs:
 * - base64OfUtf8 (one scratch buffer) against `Buffer.from(text, 'utf8').toString('base64')`;
 * - the launch template's "does the embedded text decode back exactly" test (isWellFormed) against
 *   the old one (no surrogate at all, or decoding gives the text back);
 * - `named`/`byName` contributions (null prototype, dictionary mode) against object literals, through mergeResources;
 * - `merged(a, b)` against `{ ...a, ...b }`, and `mergeFragments` against mergeResources into a copy.
 */

// Pieces that stress UTF-8: ASCII, Latin-1, BMP, astral pairs, lone high and low surrogates, reversed pairs.
const PIECES = ['a', '#!/bin/bash\n', "'", '\n', 'é', 'ÿ', '€', '日本', '😀', '\uD83D', '\uDE00', '\uDE00\uD83D', '\u0000', '\u007F', '\u0080', '\u07FF', '\u0800', '\uFFFD', '\uFFFF'];

function randomText(rnd: () => number): string {
  const r = rnd();
  // Now and then long, so the scratch buffer has to grow (and one-byte strings of every length).
  const n = r < 0.01 ? 20_000 + Math.floor(rnd() * 20_000) : Math.floor(rnd() * 200);
  let s = '';
  const oneByte = rnd() < 0.4;
  for (let i = 0; i < n; i++) s += oneByte ? String.fromCharCode(Math.floor(rnd() * 256)) : PIECES[Math.floor(rnd() * PIECES.length)]!;
  return s;
}

const wellFormed = (s: string) => (s as unknown as { isWellFormed(): boolean }).isWellFormed();
const oldEncoding = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const oldKeeps = (text: string, encoded: string) => !/[\uD800-\uDFFF]/.test(text) || Buffer.from(encoded, 'base64').toString('utf8') === text;

describe('emit fast paths', () => {
  it('base64OfUtf8 gives the bytes of Buffer.from(text).toString("base64") on 2,000 seeded texts', () => {
    const rnd = seeded(0x7e0b64);
    let lone = 0;
    for (let i = 0; i < 2000; i++) {
      const text = randomText(rnd);
      if (/[\uD800-\uDFFF]/.test(text) && !wellFormed(text)) lone++;
      expect(base64OfUtf8(text), `text #${i}`).toBe(oldEncoding(text));
    }
    // The seeds do reach lone surrogates (UTF-8 writes U+FFFD for them).
    expect(lone).toBeGreaterThan(100);
    // After a long text, short ones still get only their own bytes.
    expect(base64OfUtf8('x'.repeat(100_000))).toBe(oldEncoding('x'.repeat(100_000)));
    expect(base64OfUtf8('ab')).toBe('YWI=');
    expect(base64OfUtf8('')).toBe('');
  });

  it('the launch template keeps the embedded text exactly when the old test did, and verification reads the same text', () => {
    const rnd = seeded(0x1a0c);
    const docs: FleetDocuments = { artifacts: [], runners: new Map() };
    let kept = 0;
    let dropped = 0;
    for (let i = 0; i < 2000; i++) {
      const text = `#!/bin/bash\n${randomText(rnd)}`;
      const body = launchTemplate({ name: 'n', imageId: 'ami-1', instanceType: 't3.small', rootVolumeGiB: 8, hopLimit: 1, securityGroupKey: 'k', userData: { path: 'ec2/r/user-data.sh', format: 'text', content: text, mode: 'shell' }, tags: {} });
      const encoded = body.user_data as string;
      // The embedded text is the serialized file (the marker goes after the shebang).
      const serialized = serializeArtifact({ path: 'ec2/r/user-data.sh', format: 'text', content: text, mode: 'shell' }).content;
      expect(encoded, `text #${i}`).toBe(oldEncoding(serialized));
      // Verification reads what a decoder reads from the document, kept or not.
      expect(userDataOf(docs, body).text, `text #${i}`).toBe(Buffer.from(encoded, 'base64').toString('utf8'));
      if (oldKeeps(serialized, encoded)) kept++;
      else dropped++;
    }
    expect(kept).toBeGreaterThan(100);
    expect(dropped).toBeGreaterThan(100);
  });

  it('a shell script marked after its shebang is written as it is; marking again changes nothing', () => {
    const bare = '#!/bin/bash\necho hi\n';
    const marked = serializeArtifact({ path: 'x.sh', format: 'text', content: bare, mode: 'shell' }).content;
    expect(marked).toBe(`#!/bin/bash\n${HASH_COMMENT}\necho hi\n`);
    expect(serializeArtifact({ path: 'x.sh', format: 'text', content: marked, mode: 'shell' }).content).toBe(marked);
    // Only the whole marker, as its own lines: a prefix of it, or more on its last line, is marked again.
    for (const near of [`#!/bin/bash\n${HASH_COMMENT.slice(0, -1)}\necho hi`, `#!/bin/bash\n${HASH_COMMENT} echo hi`]) {
      expect(serializeArtifact({ path: 'x.sh', format: 'text', content: near, mode: 'shell' }).content).toBe(`#!/bin/bash\n${HASH_COMMENT}${near.slice(11)}`);
    }
  });

  it('VM user data is emitted marked: the file, the launch template and the artifact hold one text', () => {
    for (const example of ['ec2-docker', 'ecs-fargate', 'ec2-autoscaler']) {
      const plan = planValue(exampleValue(example));
      expect(plan.exitCode, example).toBe(0);
      const files = new Map(synthFiles(plan).map((f) => [f.path, f.content]));
      const userData = plan.emitted!.artifacts.filter((a) => a.path.endsWith('/user-data.sh'));
      expect(userData.length, example).toBeGreaterThan(0);
      const templates = Object.values((plan.emitted!.artifacts.find((a) => a.path === 'terraform/aws/main.tf.json')!.content as any).resource.aws_launch_template as Record<string, { user_data: string }>);
      for (const a of userData) {
        const text = a.content as string;
        expect(text.startsWith(`#!/bin/bash\n${HASH_COMMENT}\n# Runner manager `), a.path).toBe(true);
        // Written as emitted (synth adds nothing, so it keeps no second ~9 KB copy per runner).
        expect(files.get(a.path), a.path).toBe(text);
        expect(templates.some((t) => Buffer.from(t.user_data, 'base64').toString('utf8') === text), a.path).toBe(true);
      }
    }
  });

  it('the keep test (isWellFormed, else decode and compare) answers as the old regex test on 3,000 seeded texts', () => {
    const rnd = seeded(0x5afe);
    for (let i = 0; i < 3000; i++) {
      const text = randomText(rnd);
      const encoded = oldEncoding(text);
      const fast = wellFormed(text) || Buffer.from(encoded, 'base64').toString('utf8') === text;
      expect(fast, `text #${i}`).toBe(oldKeeps(text, encoded));
    }
  });

  it('contributions built with named/byName merge exactly as object literals do (same keys, order, bodies)', () => {
    const rnd = seeded(0xc0de);
    const names = ['a', 'runner_1_manager', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '0', '10', '_9', 'x-y'];
    for (let i = 0; i < 500; i++) {
      const fast: TerraformResources = {};
      const slow: TerraformResources = {};
      const types = ['aws_security_group', 'aws_launch_template', 'aws_iam_role'];
      const seen = new Set<string>();
      for (let j = 0; j < 12; j++) {
        const type = types[Math.floor(rnd() * types.length)]!;
        const name = `${names[Math.floor(rnd() * names.length)]!}${rnd() < 0.5 ? '' : String(j)}`;
        if (seen.has(`${type}.${name}`)) continue;
        seen.add(`${type}.${name}`);
        const body = { n: j };
        const two = rnd() < 0.3;
        const fastPart = two ? byName<Record<string, unknown>>() : named<Record<string, unknown>>(name, body);
        if (two) fastPart[name] = body;
        const slowPart: Record<string, Record<string, unknown>> = {};
        Object.defineProperty(slowPart, name, { value: body, enumerable: true, writable: true, configurable: true });
        mergeResources(fast, { [type]: fastPart });
        mergeResources(slow, { [type]: slowPart });
      }
      expect(JSON.stringify(fast)).toBe(JSON.stringify(slow));
      for (const type of Object.keys(slow)) {
        expect(Object.getPrototypeOf(fast[type])).toBe(Object.prototype);
        expect(Object.keys(fast[type]!)).toEqual(Object.keys(slow[type]!));
        for (const k of Object.keys(slow[type]!)) expect(Object.hasOwn(fast[type]!, k) && fast[type]![k]).toBe(slow[type]![k]);
      }
    }
  });

  it('merged(...) is the spread and mergeFragments is mergeResources, on 2,000 seeded objects', () => {
    const rnd = seeded(0x5b2e);
    const keys = ['app.kubernetes.io/name', 'runner-fleet.dev/purpose', 'cache', 'executor', '__proto__', 'constructor', '0', '7', '12', 'a', 'b', 'depends_on'];
    const obj = (): Record<string, unknown> => {
      const o: Record<string, unknown> = {};
      for (let j = Math.floor(rnd() * 6); j > 0; j--) Object.defineProperty(o, keys[Math.floor(rnd() * keys.length)]!, { value: rnd() < 0.5 ? String(j) : [j], enumerable: true, writable: true, configurable: true });
      return o;
    };
    for (let i = 0; i < 2000; i++) {
      const a = obj();
      const b = rnd() < 0.2 ? undefined : obj();
      const c = obj();
      const fast = merged(a, b, c);
      const slow = { ...a, ...b, ...c };
      expect(Object.getPrototypeOf(fast), `case #${i}`).toBe(Object.prototype);
      expect(Object.keys(fast), `case #${i}`).toEqual(Object.keys(slow));
      for (const k of Object.keys(slow)) expect(Object.getOwnPropertyDescriptor(fast, k), `case #${i} ${k}`).toEqual(Object.getOwnPropertyDescriptor(slow, k));
      // Fragments: the types and names of two fresh contributions, merged both ways.
      const frag = (): TerraformResources => {
        const f: TerraformResources = {};
        for (const t of ['aws_security_group', 'aws_launch_template', 'aws_iam_role']) if (rnd() < 0.6) f[t] = rnd() < 0.5 ? named(`${t}_${Math.floor(rnd() * 3)}`, { i }) : { [`x${Math.floor(rnd() * 3)}`]: { i } };
        return f;
      };
      const [f1, f2] = [frag(), frag()];
      const copy = (f: TerraformResources) => Object.fromEntries(Object.entries(f).map(([t, v]) => [t, Object.assign(byName<Record<string, unknown>>(), v)]));
      const expectedRoot: TerraformResources = {};
      let expectedError: string | undefined;
      try {
        mergeResources(expectedRoot, copy(f1));
        mergeResources(expectedRoot, copy(f2));
      } catch (e) {
        expectedError = (e as Error).message;
      }
      const root: TerraformResources = {};
      let error: string | undefined;
      try {
        mergeResources(root, mergeFragments(f1, f2));
      } catch (e) {
        error = (e as Error).message;
      }
      expect(error, `case #${i}`).toBe(expectedError);
      if (!error) expect(JSON.stringify(root), `case #${i}`).toBe(JSON.stringify(expectedRoot));
    }
  });
});
