import type { Finding, SecretPlace } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import { formatPosition, type Position, type SourceFile } from './source.js';

/**
 * Static credentials in the files the doctor reads. Values are looked at only to decide whether
 * they have the shape of a credential; findings name the file position and the key, never the
 * value, and Kubernetes Secret values are dropped right after the check.
 */

interface Shape {
  name: string;
  re: RegExp;
  /** A cloud credential (AWS, Azure): the keyless identity should replace it, even inside a Secret. */
  cloud: boolean;
  /**
   * Substrings every match of `re` contains, without spaces (so a YAML line fold cannot split them):
   * a file's text holding none of them needs no walk for this shape (see `mayHoldSecrets`).
   */
  needles: readonly string[];
}

const SHAPES: Shape[] = [
  { name: 'an AWS access key id', re: /\b(AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/, cloud: true, needles: ['AKIA', 'ASIA', 'ABIA', 'ACCA'] },
  { name: 'an Azure storage account key', re: /AccountKey=[A-Za-z0-9+/]{40,}={0,2}/, cloud: true, needles: ['AccountKey='] },
  // Azure AD (Entra ID) client secrets: three characters, a digit, `Q~`, then 31 or more.
  { name: 'an Azure client secret', re: /(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,}/, cloud: true, needles: ['Q~'] },
  { name: 'a GitLab runner authentication token', re: /\bglrt-[0-9A-Za-z_-]{10,}/, cloud: false, needles: ['glrt-'] },
  { name: 'a GitLab runner registration token', re: /\bGR1348941[0-9A-Za-z_-]{10,}/, cloud: false, needles: ['GR1348941'] },
  { name: 'a GitLab personal access token', re: /\bglpat-[0-9A-Za-z_-]{10,}/, cloud: false, needles: ['glpat-'] },
  { name: 'a private key', re: /-----BEGIN [A-Z ]*PRIVATE KEY-----/, cloud: false, needles: ['-----BEGIN'] },
];

/** Keys whose non-empty literal value is a static cloud credential whatever its shape. */
const CLOUD_KEY_NAMES = ['AccessKey', 'SecretKey', 'SessionToken', 'AccountKey', 'access_key', 'secret_key', 'aws_secret_access_key', 'aws_access_key_id', 'aws_session_token', 'AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SESSION_TOKEN', 'AZURE_CLIENT_SECRET', 'ARM_CLIENT_SECRET', 'ARM_ACCESS_KEY', 'AZURE_STORAGE_KEY', 'AZURE_STORAGE_ACCOUNT_KEY', 'client_secret', 'clientSecret', 'storage_account_access_key', 'primary_access_key'] as const;
const CLOUD_KEYS = new RegExp(`^(${CLOUD_KEY_NAMES.join('|')})$`);

/**
 * One test over a file's raw text: whether any value or key in it could be a credential. Every
 * finding of `findSecrets` needs a shape's needle in a value or a credential key's name as a key
 * (or `KEY=` prefix, or env entry name); parsers only copy those from the text, except where an
 * escape builds characters (`\x41`, `\u0041`, `\U…`) or a backslash joins two lines: then the
 * file is walked. YAML folding joins lines with a space, which no needle contains.
 */
const MAY_HOLD = new RegExp([...SHAPES.flatMap((s) => s.needles), ...CLOUD_KEY_NAMES].map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|') + '|\\\\[xuU]|\\\\[ \\t]*\\r?\\n');

export function mayHoldSecrets(text: string): boolean {
  return MAY_HOLD.test(text);
}

/** What a value is, by its shape or its key; undefined: not a credential. Never returns the value. */
function classify(value: string, key: string | undefined): Shape | undefined {
  return credentialIn(value, key)?.what;
}

/**
 * What a value is and the credential inside it (the text a shape matched, or the whole value of a
 * credential key): for this module only, to tell copies of one credential apart from others, and
 * dropped by its callers at once.
 */
function credentialIn(value: string, key: string | undefined): { what: Shape; secret: string } | undefined {
  // Terraform expressions and shell or CI variables are references, not literals.
  if (value === '' || /^\$\{[^}]*\}$|^\$[A-Za-z_][A-Za-z0-9_]*$|^\$\{\{/.test(value.trim())) return undefined;
  for (const s of SHAPES) {
    const m = s.re.exec(value);
    if (m) return { what: s, secret: m[0] };
  }
  if (key !== undefined && CLOUD_KEYS.test(key) && !value.includes('${') && !/^(set-by-|changeme|REPLACE|<)/i.test(value)) return { what: { name: `a static credential (${key})`, re: /./, cloud: true, needles: CLOUD_KEY_NAMES }, secret: value };
  return undefined;
}

export interface SecretHit {
  path: (string | number)[];
  key: string;
  what: Shape;
}

/** Walks one document; `KEY=value` strings and `{name, value}` env entries count by their key. */
export function findSecrets(doc: unknown): SecretHit[] {
  return scan(doc).map((x) => x.hit);
}

/** findSecrets with the credential each hit found (for `fileSecretFindings` only, which drops it). */
function scan(doc: unknown): { hit: SecretHit; secret: string }[] {
  const out: { hit: SecretHit; secret: string }[] = [];
  const stack: [unknown, (string | number)[], string | undefined][] = [[doc, [], undefined]];
  while (stack.length > 0) {
    const [v, path, key] = stack.pop()!;
    if (typeof v === 'string') {
      const env = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(v);
      const found = credentialIn(env ? env[2]! : v, env ? env[1]! : key);
      if (found) out.push({ hit: { path, key: env ? env[1]! : (key ?? String(path[path.length - 1] ?? '')), what: found.what }, secret: found.secret });
      continue;
    }
    if (Array.isArray(v)) v.forEach((x, i) => stack.push([x, [...path, i], key]));
    else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      // Kubernetes env entries: { name: AWS_SECRET_ACCESS_KEY, value: "…" }.
      const envName = typeof o.name === 'string' && typeof o.value === 'string' ? o.name : undefined;
      for (const [k, x] of Object.entries(o)) stack.push([x, [...path, k], k === 'value' && envName !== undefined ? envName : k]);
    }
  }
  return out.reverse();
}

/**
 * Findings for credentials written in a file (RF940), over all its documents: one per credential,
 * at its first place, where the same value is written more than once (a plan holds each value
 * in `planned_values` and again in `resource_changes[].change`): the other places are listed in
 * the message, since each copy has to go, and kept with the finding (its subject) so a more specific
 * finding about any copy (RF304, RF912) can stand for them all (`withoutSecretDuplicates`).
 * Copies are told apart by their text inside this call only; the text is not kept.
 */
export function fileSecretFindings(source: SourceFile, docs: readonly unknown[]): Finding[] {
  const groups = new Map<string, { hit: SecretHit; places: SecretPlace[] }>();
  docs.forEach((doc, i) => {
    for (const { hit, secret } of scan(doc)) {
      const place = extent(source.text, source.locate(i, hit.path));
      const g = groups.get(secret);
      if (g) g.places.push(place);
      else groups.set(secret, { hit, places: [place] });
    }
  });
  const before = (a: SecretPlace, b: SecretPlace): number => a.line - b.line || a.column - b.column;
  return [...groups.values()]
    .map((g) => ({ ...g, places: g.places.sort(before) }))
    .sort((a, b) => before(a.places[0]!, b.places[0]!))
    .map(({ hit: h, places }) => ({
      code: 'RF940',
      severity: CODES.RF940.severity,
      path: formatPosition(places[0]!),
      message: `${h.what.name} is written in ${source.path} at ${h.key} (value not shown)${alsoAt(places.slice(1))}`,
      fix: h.what.cloud
        ? 'remove the key and revoke it; give the runner a keyless identity (instance profile, IRSA, Pod Identity, workload identity) instead'
        : 'remove the token from the file and revoke it; keep runner tokens in a Secret or a SecureString parameter and reference them',
      subject: { kind: 'secret' as const, places },
    }));
}

/** The other places of the same value, for a message ('' when there are none); at most five named. */
export function alsoAt(places: readonly SecretPlace[]): string {
  if (places.length === 0) return '';
  const named = places.slice(0, 5).map((p) => formatPosition(p));
  return `; the same value is also written at ${named.join(', ')}${places.length > 5 ? ` and ${places.length - 5} more places` : ''}`;
}

/**
 * Where the value that starts at `at` ends in `text`: a quoted string (JSON, YAML) at its closing
 * quote, a YAML block scalar (`|`, `>`) at its last more-indented line, anything else at its line's end.
 */
function extent(text: string, at: Position): SecretPlace {
  let off = 0;
  for (let line = 1; line < at.line; line++) {
    const next = text.indexOf('\n', off);
    if (next < 0) break;
    off = next + 1;
  }
  const lineStart = off;
  off += at.column - 1;
  const lineEnd = (from: number): number => (text.indexOf('\n', from) < 0 ? text.length : text.indexOf('\n', from));
  let end = lineEnd(off) - 1;
  const q = text[off];
  if (q === '"' || q === "'") {
    for (let i = off + 1; i < text.length; i++) {
      if (q === '"' && text[i] === '\\') i++;
      else if (text[i] === q) {
        if (q === "'" && text[i + 1] === "'") i++;
        else {
          end = i;
          break;
        }
      }
    }
  } else if (q === '|' || q === '>') {
    const indent = (from: number): number => /^[ ]*/.exec(text.slice(from, lineEnd(from)))![0].length;
    const own = indent(lineStart);
    for (let from = lineEnd(off) + 1; from > 0 && from < text.length; from = lineEnd(from) + 1) {
      const body = text.slice(from, lineEnd(from));
      if (body.trim() !== '' && indent(from) <= own) break;
      if (body.trim() !== '') end = lineEnd(from) - 1;
    }
  }
  const endLine = at.line + (text.slice(off, end + 1).match(/\n/g)?.length ?? 0);
  const endColumn = end + 1 - (text.lastIndexOf('\n', end) + 1);
  return { file: at.file, line: at.line, column: at.column, endLine, endColumn: Math.max(endColumn, 1) };
}

/** Shell scripts and other text: credential shapes line by line. */
export function textSecretFindings(path: string, text: string): Finding[] {
  const out: Finding[] = [];
  text.split('\n').forEach((line, i) => {
    const env = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=["']?([^"'\s]*)/.exec(line);
    for (const s of SHAPES) {
      const m = s.re.exec(line);
      if (m) {
        out.push({ code: 'RF940', severity: CODES.RF940.severity, path: `${path}:${i + 1}:${m.index + 1}`, message: `${s.name} is written in ${path} (value not shown)`, fix: 'remove it and revoke it; read credentials at run time from a keyless identity or a parameter' });
        return;
      }
    }
    if (env && classify(env[2]!, env[1])) out.push({ code: 'RF940', severity: CODES.RF940.severity, path: `${path}:${i + 1}:1`, message: `a static credential is assigned to ${env[1]} in ${path} (value not shown)`, fix: 'remove it and revoke it; use a keyless identity' });
  });
  return out;
}

function decode(b64: string): string {
  try {
    return Buffer.from(b64, 'base64').toString('utf8');
  } catch {
    return '';
  }
}

/**
 * A Kubernetes Secret: its values are decoded only to detect static cloud keys (RF941) and
 * registration tokens (RF912), then removed from the object, so nothing downstream (proofs,
 * --json, SARIF) ever holds them. Runner authentication tokens in a Secret are where they belong.
 */
export function scrubSecret(obj: Record<string, unknown>, at: (path: (string | number)[]) => string): Finding[] {
  const out: Finding[] = [];
  const meta = obj.metadata as { name?: string; namespace?: string } | undefined;
  const label = `Secret ${meta?.namespace ? `${meta.namespace}/` : ''}${meta?.name ?? ''}`;
  for (const field of ['data', 'stringData'] as const) {
    const values = obj[field];
    if (values === null || typeof values !== 'object' || Array.isArray(values)) continue;
    for (const [k, raw] of Object.entries(values as Record<string, unknown>)) {
      if (typeof raw !== 'string') continue;
      // The decoded value lives only inside this call.
      const what = classify(field === 'data' ? decode(raw) : raw, k);
      if (what?.cloud) {
        out.push({ code: 'RF941', severity: CODES.RF941.severity, path: at([field, k]), message: `${label} holds ${what.name} under key ${k}: a static cloud credential that never expires, where a keyless identity would do (value not shown)`, fix: 'revoke the key, delete it from the Secret, and bind the runner to a role (IRSA, Pod Identity, workload identity)' });
      } else if (what?.name === 'a GitLab runner registration token') {
        out.push({ code: 'RF912', severity: CODES.RF912.severity, path: at([field, k]), message: `${label} holds a runner registration token under key ${k}: registration tokens are deprecated by GitLab and removed in GitLab 18 (value not shown)`, fix: 'create the runner in GitLab (POST /user/runners) and store its glrt- authentication token instead' });
      }
    }
    // Metadata only from here on: the keys stay (references to them are checked), the values go.
    obj[field] = Object.fromEntries(Object.keys(values).map((k) => [k, '']));
  }
  return out;
}
