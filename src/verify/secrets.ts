import type { Finding } from '../spec/findings.js';
import type { Artifact } from '../emit/artifacts.js';
import { SHAPES, isCloudKey, keyCredential, mayHoldShape } from './credentials.js';

/** `NAME=value` in one string (an env entry). */
const ENV_ENTRY = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/;

export function findStaticCredentials(artifacts: readonly Artifact[]): Finding[] {
  return scanArtifacts(artifacts).findings;
}

/**
 * The credential scan, and for the artifacts `collect` names, the texts `referenceMatches`
 * (emit/terraform/schemas) looks at: keys and strings holding `\${`, in the order
 * JSON.stringify writes them (a key only when JSON.stringify writes its value). One walk
 * serves both, so plan does not walk its Terraform roots (the largest documents) twice.
 */
export function scanArtifacts(artifacts: readonly Artifact[], collect?: (a: Artifact) => boolean): { findings: Finding[]; templateTexts: Map<Artifact, string[]> } {
  const out: Finding[] = [];
  const templateTexts = new Map<Artifact, string[]>();
  let texts: string[] | undefined;
  const report = (path: string, what: string) =>
    out.push({ code: 'RF304', severity: 'error', path: '', message: `${what} in ${path}`, fix: 'remove the credential from the spec; runners get cloud access from their keyless identity and tokens from Secrets' });
  const walk = (file: string, v: unknown, key?: string): void => {
    if (typeof v === 'string') {
      if (texts !== undefined && v.includes('${')) texts.push(v);
      // What a credential looks like is the doctor's (verify/credentials.ts): its shapes, and its cloud
      // credential keys, by the key a value is given to or the name of a `NAME=value` env entry.
      // Each test is a cheap one first (a needle scan, a Set lookup): this walk is on plan's hot path.
      if (mayHoldShape(v)) for (const s of SHAPES) if (s.re.test(v)) report(file, s.name);
      const env = v.includes('=') ? ENV_ENTRY.exec(v) : null;
      const byEnv = env && isCloudKey(env[1]!) ? keyCredential(env[2]!, env[1]!) : undefined;
      if (byEnv) report(file, byEnv.name);
      const byKey = key !== undefined && isCloudKey(key) ? keyCredential(v, key) : undefined;
      if (byKey) report(file, byKey.name);
      return;
    }
    // Only objects and arrays hold more strings (numbers and booleans cannot carry a credential).
    if (v === null || typeof v !== 'object') return;
    // Index and for-in loops: this walk runs mostly before V8 optimises it, where for-of allocates an
    // iterator result per element and Object.keys a key list per object (7 MB at 1,000 runners).
    if (Array.isArray(v)) for (let i = 0; i < v.length; i++) walk(file, v[i]);
    // Keys without entry pairs: emitted documents are plain data objects (own data properties, none
    // inherited), so for-in visits Object.keys' keys in its order.
    else {
      for (const k in v) {
        if (!Object.hasOwn(v, k)) continue;
        const x = (v as Record<string, unknown>)[k];
        if (texts !== undefined && k.includes('${') && x !== undefined && typeof x !== 'function' && typeof x !== 'symbol') texts.push(k);
        walk(file, x, k);
      }
    }
  };
  for (const a of artifacts) {
    texts = collect?.(a) === true ? [] : undefined;
    walk(a.path, a.content);
    if (texts !== undefined) templateTexts.set(a, texts);
  }
  return { findings: out, templateTexts };
}
