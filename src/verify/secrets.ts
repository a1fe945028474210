import type { Finding } from '../spec/findings.js';
import type { Artifact } from '../emit/artifacts.js';

/** Shapes of credentials that must never be in generated output. */
const PATTERNS: { name: string; re: RegExp }[] = [
  { name: 'AWS access key id', re: /\b(AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/ },
  { name: 'GitLab runner authentication token', re: /\bglrt-[0-9A-Za-z_-]{10,}/ },
  { name: 'GitLab runner registration token', re: /\bGR1348941[0-9A-Za-z_-]{10,}/ },
  { name: 'GitLab personal access token', re: /\bglpat-[0-9A-Za-z_-]{10,}/ },
  { name: 'private key', re: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  { name: 'Azure storage account key', re: /AccountKey=[A-Za-z0-9+/=]{40,}/ },
];

/** Every string a pattern above matches contains one of these (one scan instead of six for the rest). */
const ANY_PATTERN = /AKIA|ASIA|ABIA|ACCA|glrt-|GR1348941|glpat-|-----BEGIN |AccountKey=/;

/** Keys whose presence with a value means a static credential (config.toml cache sections, env). */
const SECRET_KEYS: ReadonlySet<string> = new Set(['AccessKey', 'SecretKey', 'SessionToken', 'AccountKey', 'aws_secret_access_key', 'aws_access_key_id', 'AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SESSION_TOKEN', 'AZURE_CLIENT_SECRET', 'ARM_CLIENT_SECRET']);

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
      if (ANY_PATTERN.test(v)) for (const p of PATTERNS) if (p.re.test(v)) report(file, `a ${p.name}`);
      const env = v.includes('=') ? ENV_ENTRY.exec(v) : null;
      if (env && SECRET_KEYS.has(env[1]!)) report(file, `a static credential ${env[1]!}`);
      if (key !== undefined && v !== '' && SECRET_KEYS.has(key)) report(file, `a static credential ${key}`);
      return;
    }
    // Only objects and arrays hold more strings (numbers and booleans cannot carry a credential).
    if (v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) for (const x of v) walk(file, x);
    // Keys without entry pairs: emitted documents are plain data objects (own data properties).
    else {
      for (const k of Object.keys(v)) {
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
