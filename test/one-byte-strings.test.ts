import { serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { planValue, synthFiles } from '../src/core.js';
import { tfName } from '../src/emit/artifacts.js';
import { exampleValue, replicatedExample } from './helpers/fleet.js';

/**
 * V8 keeps a string one byte per character unless it has to hold a character above U+00FF. Its
 * serializer tags what it holds: '"' one-byte, 'c' two-byte (value-serializer.cc). A two-byte
 * string of Latin-1 text costs twice the memory, and on V8 11 (Node 20) JSON.stringify writes
 * the whole rest of a document two-byte once it meets one (the Terraform roots are most of
 * synth's output).
 */
const twoByte = (s: string) => serialize(s)[2] === 0x63;
const latin1 = (s: string) => { for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false; return true; };

function wastedTwoByte(v: unknown, path: string, out: string[]): void {
  if (typeof v === 'string') {
    if (twoByte(v) && latin1(v)) out.push(path);
    return;
  }
  if (v === null || typeof v !== 'object') return;
  for (const [k, x] of Object.entries(v)) {
    if (twoByte(k) && latin1(k)) out.push(`${path} key ${k}`);
    wastedTwoByte(x, `${path}.${k}`, out);
  }
}

describe('emitted text is one-byte where its characters allow', () => {
  it('the probe tells the two apart', () => {
    expect(twoByte('fargate-0_jobs')).toBe(false);
    expect(twoByte('fargate-0_jobs\u2026')).toBe(true);
  });

  it('a Terraform name joined from a runner name that has been a property key', () => {
    // A string used as a property key is internalized; V8 11 joined such a string two-byte.
    const runner = `fargate-${String(Math.random()).slice(2, 6)}`;
    const keyed: Record<string, number> = {};
    keyed[runner] = 1;
    expect(twoByte(tfName(runner, 'jobs'))).toBe(false);
    expect(twoByte(tfName(runner, 'manager', 'ssm'))).toBe(false);
  });

  it.each(['ecs-fargate', 'eks-create-access-entries', 'aks-create', 'mixed-eks-vm'])('%s with three runners per example runner: documents and files', (example) => {
    const spec = replicatedExample(example, 3 * (exampleValue(example).runners as unknown[]).length);
    const plan = planValue(spec);
    expect(plan.exitCode).toBe(0);
    const wasted: string[] = [];
    for (const a of plan.emitted!.artifacts) wastedTwoByte(a.content, a.path, wasted);
    expect(wasted).toEqual([]);
    const files = synthFiles(plan).filter((f) => f.path.endsWith('.tf.json'));
    expect(files.length).toBeGreaterThan(0);
    expect(files.filter((f) => twoByte(f.content)).map((f) => f.path)).toEqual([]);
  });
});
