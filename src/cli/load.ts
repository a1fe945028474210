import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { safeText, type Finding } from '../spec/findings.js';
import { planText, planValue, type PlanResult } from '../core.js';
import type { AppliedOutputs } from '../model/types.js';
import { parseAzureOutputs } from '../spec/applied.js';
import { importModule } from '../io/dynamic-import.js';
import { errnoReason } from '../io/errno.js';
import { readAtMost, readFdAtMost } from '../io/read-at-most.js';
import { utf16Of, utf16Problem } from '../io/utf16.js';
import { SPEC_LIMITS, specTooLarge } from '../spec/reader.js';

/** `terraform output -json` of a root is kilobytes; more than this is not one. */
const MAX_OUTPUTS_BYTES = 16 * 1024 * 1024;


/** Reads `--azure-outputs`; a missing or malformed file is a command error (exit 2). */
function loadApplied(opts: LoadOptions): { applied?: AppliedOutputs; failed?: PlanResult } {
  if (opts.azureOutputs === undefined) return {};
  const file = safeText(opts.azureOutputs, 200);
  const failWith = (finding: Omit<Finding, 'code' | 'severity' | 'path'>) => ({ failed: { exitCode: 2, findings: [{ code: 'RF610', severity: 'error', path: '--azure-outputs', ...finding }], proofs: [] } }) as { failed: PlanResult };
  const fail = (reason: string) => failWith({ message: `cannot read ${file}: ${reason}`, fix: 'terraform -chdir=terraform/azure output -json > azure-outputs.json' });
  let bytes: Buffer;
  try {
    const read = readAtMost(opts.azureOutputs, MAX_OUTPUTS_BYTES);
    if (read.more) return fail(`it is more than ${MAX_OUTPUTS_BYTES.toLocaleString('en-US')} bytes, which no \`terraform output -json\` is`);
    bytes = read.bytes;
  } catch (e) {
    return fail(errnoReason(e, { ENOENT: 'no such file' }));
  }
  // Windows PowerShell's `>` writes UTF-16: said as such, not as a JSON error quoting its bytes.
  const utf16 = utf16Of(bytes);
  if (utf16) {
    const { message, fix } = utf16Problem(file, utf16);
    return failWith({ message, received: `bytes ${hexAt(bytes, 0)}`, fix: `${fix}, or write it again as UTF-8 (Windows PowerShell: terraform -chdir=terraform/azure output -json | Out-File -Encoding utf8 ${file})` });
  }
  const text = utf8Text(bytes);
  if (typeof text !== 'string') return fail(`it is not UTF-8 text: the byte at offset ${text.offset.toLocaleString('en-US')} is 0x${hexAt(bytes, text.offset).split(' ')[0]!}`);
  const read = parseAzureOutputs(text, opts.azureOutputs);
  if (read.findings.length > 0) return { failed: { exitCode: 2, findings: read.findings, proofs: [] } };
  return read.applied ? { applied: read.applied } : {};
}

export interface LoadOptions {
  /** `terraform output -json` of terraform/azure: client ids of applied managed identities. */
  azureOutputs?: string;
}

/** Reads and plans a spec file. Unreadable files become RF001 findings (exit 2), not exceptions. */
export async function loadAndPlan(file: string, opts: LoadOptions = {}): Promise<PlanResult> {
  const { applied, failed } = loadApplied(opts);
  if (failed) return failed;
  if (/\.(m?js)$/.test(file)) {
    try {
      const mod = await importModule<{ default?: unknown }>(pathToFileURL(resolve(file)).href);
      // A module may export its spec as a promise (read from elsewhere): the value it resolves to.
      return planValue(await mod.default, applied);
    } catch (e) {
      return unreadable(file, e);
    }
  }
  let bytes: Buffer;
  try {
    // `-` is standard input, as for most command-line tools (`plan - < fleet.yaml`). `/dev/stdin` is
    // read from descriptor 0 too: where standard input is a socket (a parent process's, as Node's
    // spawnSync with `input` gives), Linux cannot open /dev/stdin (ENXIO), though it can be read.
    const read = file === '-' || file === '/dev/stdin' ? readFdAtMost(0, SPEC_LIMITS.maxBytes) : readAtMost(file, SPEC_LIMITS.maxBytes);
    // Read only up to the limit: the reader's own size finding, with the size unknown.
    if (read.more) return { exitCode: 2, findings: [specTooLarge(safeText(file, 200), undefined)], proofs: [] };
    bytes = read.bytes;
  } catch (e) {
    return unreadable(file, e);
  }
  // UTF-16 first: without a byte order mark its NULs are valid UTF-8, and the YAML reader would say less.
  const utf16 = utf16Of(bytes);
  if (utf16) {
    const { message, fix } = utf16Problem(safeText(file, 200), utf16);
    return { exitCode: 2, findings: [{ code: 'RF001', severity: 'error', path: '', message, received: `bytes ${hexAt(bytes, 0)}`, fix }], proofs: [] };
  }
  const text = utf8Text(bytes);
  if (typeof text !== 'string') return notText(file, bytes, text.offset);
  if (holdsNothing(text)) return empty(file, bytes.byteLength, text.trim() !== '');
  return planText(text, file, applied);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The file's text, or the offset of the first byte that is not UTF-8 (a binary or Latin-1 file). */
export function utf8Text(bytes: Uint8Array): string | { offset: number } {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    // Find the first bad byte by decoding growing prefixes would be quadratic: walk the encoding.
    return { offset: firstInvalidUtf8(bytes) };
  }
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence (RFC 3629). */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    // Lead byte: length and the allowed range of the second byte (no overlongs, no surrogates, <= U+10FFFF).
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return b.length;
}

/** Up to four bytes from `offset`, in hex, to show what a reader found there. */
function hexAt(bytes: Uint8Array, offset: number): string {
  return Array.from(bytes.subarray(offset, offset + 4), (x) => x.toString(16).padStart(2, '0')).join(' ');
}

function notText(file: string, bytes: Uint8Array, offset: number): PlanResult {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  const hex = hexAt(bytes, offset);
  const finding: Finding = {
    code: 'RF001',
    severity: 'error',
    path: '',
    message: `${safeText(file, 200)} is not UTF-8 text: the byte at offset ${offset.toLocaleString('en-US')} (line ${line}) is 0x${hex.split(' ')[0]!}, which cannot start or continue a UTF-8 character here`,
    received: `bytes ${hex}`,
    fix: 'pass a fleet spec written as YAML or JSON in UTF-8; a binary file is not a spec, and a file in another encoding must be converted (for example: iconv -f latin1 -t utf-8)',
  };
  return { exitCode: 2, findings: [finding], proofs: [] };
}

/** Only blank lines and YAML comments: read as YAML that is null, which "must be a mapping, received null" did not explain. */
const holdsNothing = (text: string): boolean => text.split('\n').every((line) => {
  const t = line.trim();
  return t === '' || t.startsWith('#');
});

/** A spec that holds nothing: a closed or empty standard input (`plan -` with nothing piped in), or an empty file. */
function empty(file: string, bytes: number, comments: boolean): PlanResult {
  const stdin = file === '-' || file === '/dev/stdin';
  const received = bytes === 0 ? 'nothing (0 bytes)' : `${bytes.toLocaleString('en-US')} bytes of ${comments ? 'comments and blank lines' : 'blank lines'}`;
  const finding: Finding = stdin
    ? { code: 'RF002', severity: 'error', path: '', message: 'the spec is empty: standard input ended before any spec was read (nothing was piped in, or it was closed)', received, fix: 'pipe the spec in (`runner-fleet plan - < fleet.yaml`), or name the spec file' }
    : { code: 'RF002', severity: 'error', path: '', message: `the spec is empty: ${safeText(file, 200)} holds no spec`, received, fix: 'write the fleet spec in it, starting with `apiVersion: runner-fleet/v1alpha1` and `kind: Fleet`' };
  return { exitCode: 2, findings: [finding], proofs: [] };
}

function unreadable(file: string, e: unknown): PlanResult {
  const reason = errnoReason(e, { ENOENT: 'no such file' });
  const finding: Finding = { code: 'RF001', severity: 'error', path: '', message: `cannot read ${file}: ${reason}`, fix: 'pass the path of a fleet spec (.yaml, .yml, .json, .js or .mjs)' };
  return { exitCode: 2, findings: [finding], proofs: [] };
}
