import { parse as parseToml } from 'smol-toml';
import type { Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import { safeText } from '../spec/findings.js';
import { shownText } from '../verify/credentials.js';
import { SourceFile } from './source.js';
import { LineIndex } from './hcl/ast.js';
import { rewriteTomlText } from './jinja-toml.js';

/**
 * A config.toml kept as a template whose placeholders a script of the deployment fills before the
 * runner reads it: `concurrent = {RUNNER_CONCURRENT_JOB_COUNT}` in the file, and in the start script
 * `sed 's|{RUNNER_CONCURRENT_JOB_COUNT}|'$N'|'` (or `sed -i "s/{X}/$X/" config.toml`), or `envsubst`
 * over the file for its `${VAR}` and `$VAR` (GNU gettext's envsubst replaces references to environment
 * variables in that form). Such a placeholder is a value to come, not a TOML error: the file is read
 * with each placeholder outside a TOML string as a string of its own width (lines and columns stay the
 * file's), the keys whose whole value is one left out (never guessed), as the Jinja and Terraform
 * template readers leave out what the markup alone gives (jinja-toml.ts). A script fills the file only
 * where it names it (its base name, `config.toml`); without such a script the file is not TOML (RF901,
 * as before).
 */

/** One placeholder a script fills: the literal text sed replaces, or every `${VAR}`/`$VAR` for envsubst; where the script does it, and the TOML file names the script names. */
export interface TomlFiller {
  placeholder?: string;
  envsubst?: true;
  file: string;
  line: number;
  names: ReadonlySet<string>;
}

/** A sed `s` command's pattern: `s` and its delimiter, the pattern up to the same delimiter unescaped. */
const SED_SUBSTITUTE = /(?:^|[\s'"(;-])s([|/#,:@!%])((?:\\.|(?!\1)[^\n\\])+)\1/g;
/** A pattern that is a literal placeholder once unescaped: no regular-expression operator but braces, a letter in it. */
const LITERAL_PLACEHOLDER = /^[A-Za-z0-9_{}@%<>$-]{3,}$/;
/** The TOML files a script names; a name starts where no name character is before it (else a long word was tried from each of its characters: quadratic). */
const TOML_NAME = /(?<![\w.-])[\w.-]*\.toml\b/g;

/** The placeholders the scripts of the files given fill (sed's `s` patterns on a line naming sed, envsubst), for the TOML files each names. */
export function tomlFillers(files: readonly { path: string; text: string }[]): TomlFiller[] {
  const out: TomlFiller[] = [];
  for (const f of files) {
    if (!f.text.includes('.toml') || !/\b(?:sed|envsubst)\b/.test(f.text)) continue;
    const names = new Set([...f.text.matchAll(TOML_NAME)].map((m) => m[0].split('/').pop()!));
    const lines = f.text.split('\n');
    lines.forEach((l, i) => {
      if (/\benvsubst\b/.test(l)) out.push({ envsubst: true, file: f.path, line: i + 1, names });
      if (!/\bsed\b/.test(l)) return;
      for (const m of l.matchAll(SED_SUBSTITUTE)) {
        const pattern = m[2]!.replace(/\\(.)/g, '$1');
        if (LITERAL_PLACEHOLDER.test(pattern) && /[A-Za-z]/.test(pattern)) out.push({ placeholder: pattern, file: f.path, line: i + 1, names });
      }
    });
  }
  return out;
}

/** The keys whose value the checks of a config.toml alone read (config-toml-alone.ts): a placeholder there is said. */
const CHECKED_KEYS = new Set(['executor', 'privileged', 'services_privileged', 'volumes', 'cap_add', 'devices', 'security_opt', 'network_mode', 'pid_mode', 'ipc_mode', 'userns_mode', 'host_path', 'service_account_overwrite_allowed', 'MachineOptions', 'allowed_privileged_images', 'allowed_privileged_services']);

const ENV_REFERENCE = /\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*/y;

/**
 * The config.toml read with the placeholders the scripts fill (tomlFillers) as values to come;
 * undefined where no script fills one of its placeholders, or it is not TOML even so. `findings`: an
 * RF903 info for each such placeholder on a key the checks read.
 */
export function readFilledToml(path: string, text: string, fillers: readonly TomlFiller[]): { value: Record<string, unknown>; source: SourceFile; findings: Finding[] } | undefined {
  const base = path.split(/[\\/]/).pop()!;
  const mine = fillers.filter((f) => f.names.has(base));
  const literal = [...new Set(mine.flatMap((f) => (f.placeholder !== undefined && text.includes(f.placeholder) ? [f.placeholder] : [])))].sort((a, b) => b.length - a.length);
  const envsubst = mine.find((f) => f.envsubst === true);
  if (literal.length === 0 && envsubst === undefined) return undefined;
  const filled: { at: number; text: string; inner: string }[] = [];
  // Outside a TOML string only: a placeholder inside one is part of a string the file holds anyway.
  const out = rewriteTomlText(text, (i, quote) => {
    if (quote !== undefined) return undefined;
    let ph = literal.find((p) => text.startsWith(p, i));
    if (ph === undefined && envsubst !== undefined) {
      ENV_REFERENCE.lastIndex = i;
      ph = ENV_REFERENCE.exec(text)?.[0];
    }
    if (ph === undefined) return undefined;
    const inner = ph.slice(1, -1).replace(/['\\]/g, '_');
    filled.push({ at: i, text: ph, inner });
    return { text: `'${inner}'`, end: i + ph.length };
  });
  if (filled.length === 0) return undefined;
  let value: Record<string, unknown>;
  try {
    value = parseToml(out);
  } catch {
    return undefined;
  }
  const inners = new Set(filled.map((f) => f.inner));
  leaveOut(value, inners);
  const lines = new LineIndex(text);
  const findings: Finding[] = [];
  for (const f of filled) {
    const p = lines.pos(f.at);
    const key = /([A-Za-z0-9_-]+)\s*=\s*\[?\s*$/.exec(text.slice(lines.offset(p.line, 1), f.at))?.[1];
    if (key === undefined || !CHECKED_KEYS.has(key)) continue;
    const by = literal.includes(f.text) ? mine.find((m) => m.placeholder === f.text)! : envsubst!;
    findings.push({
      code: 'RF903',
      severity: CODES.RF903.severity,
      path: `${path}:${p.line}:${p.column}`,
      message: `${path}: ${key} = ${safeText(shownText(f.text, 60))} is a placeholder that ${by.file}:${by.line} fills ${by.envsubst === true ? 'with envsubst' : 'with sed'} before the runner reads the file; its value is known only then, so what ${key} sets is not checked`,
      fix: `write the value in ${path}, or give the config.toml as the script writes it on the host`,
    });
  }
  return { value, source: new SourceFile(path, out, 'toml'), findings };
}

/** Keys whose whole value is a placeholder, left out; such an element of an array null (its neighbours keep their places). */
function leaveOut(value: unknown, inners: ReadonlySet<string>): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      if (typeof v === 'string' && inners.has(v)) value[i] = null;
      else leaveOut(v, inners);
    });
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const table = value as Record<string, unknown>;
  for (const [k, v] of Object.entries(table)) {
    if (typeof v === 'string' && inners.has(v)) delete table[k];
    else leaveOut(v, inners);
  }
}
