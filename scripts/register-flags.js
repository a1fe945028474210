// Regenerates src/doctor/register-flags-data.ts, every flag `gitlab-runner register` defines, from
// a gitlab-runner source tree (for example `git archive v19.4.0 | tar -x -C /tmp/gitlab-runner`):
//
//   node scripts/register-flags.js /tmp/gitlab-runner > src/doctor/register-flags-data.ts
//
// With --history, it regenerates src/doctor/register-flags-history-data.ts instead: the flags register
// defined in an earlier release and no longer defines, and the current flags an earlier release did
// not define yet, each with the releases it is in. From a bare clone of gitlab-org/gitlab-runner with
// its tags (dev tooling: never run by the tests or CI; about five minutes):
//
//   node scripts/register-flags.js --history <gitlab-runner git dir> [current commit] > src/doctor/register-flags-history-data.ts
//
// It reads register's flags at every release tag vX.Y.Z from v10.0.0 on (patch releases included:
// some add a flag before the next minor, a backport; the header of the output lists them), and at
// the current commit (default HEAD, the source of register-flags-data.ts). A flag is listed with
// compact ranges over the releases in version order: [first release it is in, first release it is
// no longer in], the last left open for a current flag. Older trees have no go.mod (Godeps, dep):
// their import path is the one commands/register.go imports common from.
//
// It walks the struct commands/register.go RegisterCommand as golang-cli-helpers' GetFlagsFromStruct
// does (common/command.go NewCommand): a field with a `long:` or `short:` tag is a flag named by the
// namespaces it sits under and the tag, joined with `-`; a struct field (or a pointer to one) with a
// `namespace:` tag adds its fields under that namespace; an embedded struct adds its fields under the
// same namespace; a field whose type is a struct without either, an interface, a func or a chan is
// no flag. Types are resolved in the Go files of the package that declares them (test files left
// out). Not needed by the tests: the generated module is checked in.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';


/**
 * The flags `gitlab-runner register` defines in the source tree at `root`: { version, flags, unresolved },
 * each flag { long, short, aliases, boolean, field }. Also read by --history on older trees,
 * which have no go.mod (Godeps, dep): their import path is the one commands/register.go imports common from.
 */
function readRegisterFlags(root) {
  let modulePath;
  try {
    modulePath = /^module\s+(\S+)/m.exec(readFileSync(join(root, 'go.mod'), 'utf8'))[1];
  } catch {
    modulePath = /"([^"]+)\/common"/.exec(readFileSync(join(root, 'commands/register.go'), 'utf8'))[1];
  }
  const version = readFileSync(join(root, 'VERSION'), 'utf8').trim();

  /** Package directory → { types: Map<name, typeText> }, read lazily. */
  const packages = new Map();
  function pkg(dir) {
    let p = packages.get(dir);
    if (p) return p;
    p = { types: new Map(), imports: new Map() };
    packages.set(dir, p);
    let names;
    try {
      names = readdirSync(join(root, dir)).filter((n) => n.endsWith('.go') && !n.endsWith('_test.go') && statSync(join(root, dir, n)).isFile());
    } catch {
      return p;
    }
    for (const n of names) {
      const file = `${dir}/${n}`;
      const text = stripComments(readFileSync(join(root, dir, n), 'utf8'));
      p.name ??= /^package\s+([A-Za-z_][A-Za-z0-9_]*)/m.exec(text)?.[1];
      const imports = new Map();
      for (const m of text.matchAll(/^\s*(?:import\s+)?([A-Za-z_][A-Za-z0-9_]*|\.)?\s*"([^"]+)"\s*$/gm)) {
        const path = m[2];
        imports.set(m[1] ?? path.split('/').pop().replace(/^go-/, '').replace(/[.-].*$/, ''), path);
      }
      // `type Name <type>` at the top level or inside `type ( … )`.
      for (const m of text.matchAll(/^(?:type\s+|\t)([A-Z_a-z][A-Za-z0-9_]*)(?:\[[^\]]*\])?\s+(=\s*)?(struct\s*\{|[^\n{]+)/gm)) {
        if (!m[0].startsWith('type') && !inTypeBlock(text, m.index)) continue;
        let body = m[3];
        if (body.startsWith('struct')) body = text.slice(m.index + m[0].length - 1, matchBrace(text, m.index + m[0].length - 1) + 1);
        if (!p.types.has(m[1])) p.types.set(m[1], { text: body.trim(), file, imports });
      }
    }
    return p;
  }
  function stripComments(text) {
    // Line comments outside strings and raw strings (struct tags are raw strings).
    let out = '';
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c === '`' || c === '"') {
        let j = i + 1;
        while (j < text.length && text[j] !== c) j += c === '"' && text[j] === '\\' ? 2 : 1;
        out += text.slice(i, j + 1);
        i = j;
      } else if (c === '/' && text[i + 1] === '/') {
        while (i < text.length && text[i] !== '\n') i++;
        out += '\n';
      } else if (c === '/' && text[i + 1] === '*') {
        const end = text.indexOf('*/', i + 2);
        i = end < 0 ? text.length : end + 1;
      } else out += c;
    }
    return out;
  }
  function matchBrace(text, open) {
    let depth = 0;
    for (let i = open; i < text.length; i++) {
      const c = text[i];
      if (c === '`' || c === '"') {
        let j = i + 1;
        while (j < text.length && text[j] !== c) j += c === '"' && text[j] === '\\' ? 2 : 1;
        i = j;
      } else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) return i;
    }
    throw new Error('unbalanced braces');
  }
  function inTypeBlock(text, at) {
    const before = text.lastIndexOf('\ntype (', at);
    if (before < 0) return false;
    const close = text.indexOf('\n)', before);
    return close > at;
  }
  /** The fields of a struct body `{ … }`: [{ name, type, tag, embedded }]. */
  function fields(body) {
    const inner = body.slice(body.indexOf('{') + 1, body.lastIndexOf('}'));
    const out = [];
    let i = 0;
    const lines = [];
    // Split into field declarations: one per line, an inline struct type spanning its braces.
    while (i < inner.length) {
      let end = inner.indexOf('\n', i);
      if (end < 0) end = inner.length;
      const brace = inner.indexOf('{', i);
      if (brace >= 0 && brace < end) end = inner.indexOf('\n', matchBrace(inner, brace));
      if (end < 0) end = inner.length;
      lines.push(inner.slice(i, end).trim());
      i = end + 1;
    }
    for (const line of lines) {
      if (line === '' || line.startsWith('_ ')) continue;
      const tagMatch = /`([^`]*)`\s*$/.exec(line);
      const tag = tagMatch ? tagMatch[1] : '';
      const decl = (tagMatch ? line.slice(0, tagMatch.index) : line).trim();
      const named = /^([A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*)\s+(\S.*)$/.exec(decl);
      if (named && !/^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z]/.test(decl)) {
        for (const name of named[1].split(',')) out.push({ name: name.trim(), type: named[2].trim(), tag, embedded: false });
      } else out.push({ name: decl.replace(/^\*/, '').split('.').pop(), type: decl, tag, embedded: true });
    }
    return out;
  }
  const tagOf = (tag, key) => new RegExp(`(?:^|\\s)${key}:"([^"]*)"`).exec(tag)?.[1] ?? '';

  /** What reflect says of a type: 'struct' (with its body and package), 'bool', 'ptr', or another kind. */
  function resolve(type, dir, imports) {
    type = type.trim();
    if (type.startsWith('*')) return { kind: 'ptr', elem: resolve(type.slice(1), dir, imports) };
    if (/^struct\s*\{/.test(type)) return { kind: 'struct', body: type, dir, imports };
    if (/^(\[|map\[)/.test(type)) return { kind: 'list' };
    if (/^(func|chan|<-chan|interface)\b/.test(type) || type === 'any' || type === 'error') return { kind: 'none' };
    if (type === 'bool') return { kind: 'bool' };
    if (/^(u?int(8|16|32|64)?|float(32|64)|string|byte|rune|uintptr)$/.test(type)) return { kind: 'basic' };
    const q = /^([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(type);
    let typeDir = dir;
    let name = type.replace(/\[.*$/, '');
    if (q) {
      // An import without an alias is named by its package clause, not always its folder (helpers/docker is `package docker_helpers` in older trees).
      const path = imports.get(q[1]) ?? [...imports.values()].find((p) => p.startsWith(`${modulePath}/`) && pkg(p.slice(modulePath.length + 1)).name === q[1]);
      if (!path) throw new Error(`unknown package ${q[1]} in ${dir}`);
      if (!path.startsWith(`${modulePath}/`)) return external(path, q[2]);
      typeDir = path.slice(modulePath.length + 1);
      name = q[2];
    }
    const decl = pkg(typeDir).types.get(name);
    if (!decl) throw new Error(`type ${name} not found in ${typeDir}`);
    if (decl.text.startsWith('{')) return { kind: 'struct', body: decl.text, dir: typeDir, imports: decl.imports };
    if (/^interface\b/.test(decl.text)) return { kind: 'none' };
    return resolve(decl.text.replace(/^=\s*/, ''), typeDir, decl.imports);
  }
  /** Types from outside gitlab-runner that its tagged fields use; any other stops the script to be looked at. */
  function external(path, name) {
    const known = new Map([
      ['time.Duration', { kind: 'basic' }],
      // k8s.io/api core/v1 types.go: `type ProcMountType string`.
      ['k8s.io/api/core/v1.ProcMountType', { kind: 'basic' }],
    ]);
    const k = known.get(`${path}.${name}`);
    if (k) return k;
    return { kind: 'external', name: `${path}.${name}` };
  }

  const flags = [];
  const unresolved = [];
  function walk(structType, ns, via) {
    for (const f of fields(structType.body)) {
      const long = tagOf(f.tag, 'long');
      const short = tagOf(f.tag, 'short');
      const namespace = tagOf(f.tag, 'namespace');
      let t;
      try {
        t = resolve(f.type, structType.dir, structType.imports);
      } catch (e) {
        if (long || short || namespace || f.embedded) throw new Error(`${via}.${f.name}: ${e.message}`, { cause: e });
        continue;
      }
      const where = `${via}.${f.name}`;
      const flag = () => {
        if (!long && !short) return;
        if (t.kind === 'external') unresolved.push(`${where} ${t.name}`);
        const boolean = t.kind === 'bool' ? 'bool' : t.kind === 'ptr' && t.elem.kind === 'bool' ? '*bool' : undefined;
        // golang-cli-helpers names the flag "short, long" (each joined to its namespaces with `-`) and
        // urfave/cli defines every comma-separated part of that name, trimmed, as a flag of its own
        // (flag.go eachName: strings.Split(name, ","), strings.Trim(part, " ")). A tag with a comma
        // in it (v15.10's DockerConfig.Devices `long:"devices,omitempty"`) is therefore two flags:
        // `docker-devices` and `omitempty`, both setting the field. The first part is the flag's
        // name here; the others are `aliases`.
        const parts = (tag) => (tag ? [...ns, tag].join('-').split(',').map((n) => n.trim()).filter((n) => n !== '') : []);
        const longs = parts(long);
        const shorts = parts(short);
        flags.push({ long: longs[0], short: shorts[0], aliases: [...shorts.slice(1), ...longs.slice(1)], boolean, field: where });
      };
      if (t.kind === 'struct') {
        if (namespace) walk(t, [...ns, namespace], where);
        else if (f.embedded) walk(t, ns, where);
      } else if (t.kind === 'ptr') {
        if (t.elem.kind === 'struct' || t.elem.kind === 'struct-no-flags') {
          if (namespace && t.elem.kind === 'struct') walk(t.elem, [...ns, namespace], where);
        } else flag();
      } else if (t.kind === 'none' || t.kind === 'struct-no-flags') continue;
      else flag();
    }
  }
  const register = pkg('commands').types.get('RegisterCommand');
  walk({ kind: 'struct', body: register.text, dir: 'commands', imports: register.imports }, [], 'RegisterCommand');
  return { version, flags, unresolved };
}

function currentTable() {
  const root = process.argv[2];
  if (!root) {
    process.stderr.write('usage: node scripts/register-flags.js <gitlab-runner source directory>\n');
    process.exit(2);
  }
  const { version, flags, unresolved } = readRegisterFlags(root);
  if (unresolved.length > 0) {
    process.stderr.write(`types not resolved (decide their kind in external()):\n${unresolved.join('\n')}\n`);
    process.exit(1);
  }
  const names = new Set();
  for (const f of flags) for (const n of [f.long, f.short, ...f.aliases]) if (n !== undefined) {
    if (names.has(n)) process.stderr.write(`note: ${n} is defined twice\n`);
    names.add(n);
  }
  const q = (s) => `'${s}'`;
  const longs = flags.filter((f) => f.long !== undefined);
  const out = [
    '/*',
    ` * Generated by scripts/register-flags.js from gitlab-runner's source (gitlab-org/gitlab-runner, VERSION ${version}):`,
    ' * the struct commands/register.go RegisterCommand and every struct it embeds or names with a',
    ' * `namespace:` tag (common/config.go, cache/cacheconfig, helpers/docker, …), walked as',
    " * golang-cli-helpers' GetFlagsFromStruct builds register's flags. Do not edit by hand.",
    ' */',
    '',
    `/** The long name of every flag register defines (${longs.length}), in the order of the struct fields. */`,
    'export const REGISTER_LONG_FLAGS: readonly string[] = [',
    ...longs.map((f) => `  ${q(f.long)},`),
    '];',
    '',
    '/** The `short:` names (a flag of its own in Go\'s flag package, the same value as the long one): short → long. */',
    'export const REGISTER_SHORT_FLAGS: ReadonlyMap<string, string> = new Map([',
    ...flags.flatMap((f) => [f.short, ...f.aliases].filter((n) => n !== undefined).map((n) => `  [${q(n)}, ${q(f.long ?? f.short)}],`)),
    ']);',
    '',
    '/** The flags of `bool` fields (reported boolean to Go\'s flag package). */',
    'export const REGISTER_BOOL_FIELD_FLAGS: readonly string[] = [',
    ...flags.filter((f) => f.boolean === 'bool').map((f) => `  ${q(f.long ?? f.short)},`),
    '];',
    '',
    '/** The flags of `*bool` fields (a setting whose absence differs from false). */',
    'export const REGISTER_BOOL_POINTER_FLAGS: readonly string[] = [',
    ...flags.filter((f) => f.boolean === '*bool').map((f) => `  ${q(f.long ?? f.short)},`),
    '];',
    '',
  ];
  process.stdout.write(out.join('\n'));
}

function history() {
  const gitDir = process.argv[3];
  const current = process.argv[4] ?? 'HEAD';
  if (!gitDir) {
    process.stderr.write('usage: node scripts/register-flags.js --history <gitlab-runner git dir> [current commit]\n');
    process.exit(2);
  }
  const git = (...args) => execFileSync('git', [`--git-dir=${gitDir}`, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const release = (tag) => /^v(\d+)\.(\d+)\.(\d+)$/.exec(tag);
  const parts = (tag) => release(tag).slice(1, 4).map(Number);
  const order = (a, b) => parts(a)[0] - parts(b)[0] || parts(a)[1] - parts(b)[1] || parts(a)[2] - parts(b)[2];
  // Every release tag (not an -rc) from v10.0.0 on, in version order: a patch release sits between its minor and the next.
  const tags = git('tag', '-l', 'v*.*.*')
    .split('\n')
    .filter((t) => release(t) && parts(t)[0] >= 10)
    .sort(order);

  const scratch = mkdtempSync(join(tmpdir(), 'register-flags-'));
  /** The long and short names register defines at a commit. */
  function namesAt(ref) {
    const dir = join(scratch, ref.replace(/[^A-Za-z0-9.]/g, '_'));
    mkdirSync(dir);
    // The tree without vendor/ and docs/ (register's structs are gitlab-runner's own, an external type is not walked; the mirror lacks some vendored blobs).
    execFileSync('bash', ['-o', 'pipefail', '-c', `git --git-dir="$0" archive "$1" -- ":(exclude)vendor" ":(exclude)docs" 2>/dev/null | tar -x -C "$2"`, gitDir, ref, dir]);
    const { version, flags } = readRegisterFlags(dir);
    rmSync(dir, { recursive: true, force: true });
    return { version, names: new Set(flags.flatMap((f) => [f.long, f.short, ...f.aliases].filter((n) => n !== undefined))) };
  }

  const releases = tags.map((t) => ({ tag: t, ...namesAt(t) }));
  const now = namesAt(current);
  rmSync(scratch, { recursive: true, force: true });
  const commit = git('rev-parse', current).trim();
  const nowMinor = now.version.replace(/^(\d+\.\d+).*$/, '$1');
  const minors = releases.filter((r) => parts(r.tag)[2] === 0);
  // A version as the tables write it: a minor release `X.Y` (its .0), a patch release `X.Y.Z`.
  const written = (tag) => (parts(tag)[2] === 0 ? `${parts(tag)[0]}.${parts(tag)[1]}` : tag.slice(1));

  // The releases a flag is in, as [first release it is in, first release it is no longer in] ranges
  // over the releases in version order, the last open (one element) where the current commit has it.
  const rangesOf = (name) => {
    const ranges = [];
    let open;
    for (const r of releases) {
      if (r.names.has(name) && open === undefined) open = [written(r.tag)];
      else if (!r.names.has(name) && open !== undefined) {
        ranges.push([open[0], written(r.tag)]);
        open = undefined;
      }
    }
    if (open !== undefined && now.names.has(name)) ranges.push(open);
    else if (open !== undefined) ranges.push([open[0], nowMinor]);
    else if (now.names.has(name)) ranges.push([nowMinor]);
    return ranges;
  };
  const everyName = new Set([...releases.flatMap((r) => [...r.names]), ...now.names]);
  const removed = [...everyName].filter((n) => !now.names.has(n)).sort();
  // The current flags some release since v10.0.0 lacks (added after it, or back after a gap).
  const added = [...now.names].filter((n) => releases.some((r) => !r.names.has(n))).sort();
  // Where a patch release defines other flags than its minor's .0 (a backport): why the patch tags are read.
  const patchChanges = [];
  for (const r of releases) {
    const base = releases.find((m) => parts(m.tag)[0] === parts(r.tag)[0] && parts(m.tag)[1] === parts(r.tag)[1] && parts(m.tag)[2] === 0);
    if (!base || base === r) continue;
    const more = [...r.names].filter((n) => !base.names.has(n));
    const fewer = [...base.names].filter((n) => !r.names.has(n));
    if (more.length > 0 || fewer.length > 0) patchChanges.push(`${r.tag}: ${[...more.map((n) => `+${n}`), ...fewer.map((n) => `-${n}`)].join(' ')}`);
  }
  const range = (r) => `[${r.map((v) => `'${v}'`).join(', ')}]`;
  const out = [
    '/*',
    ' * Generated by scripts/register-flags.js --history from gitlab-runner\'s git history (gitlab-org/gitlab-runner):',
    ` * register's flags (as scripts/register-flags.js reads them) at every release tag ${releases[0].tag} … ${releases.at(-1).tag}`,
    ` * (${releases.length} tags, patch releases included; release candidates left out) and at ${commit.slice(0, 8)}`,
    ` * (VERSION ${now.version}, the source of register-flags-data.ts). Do not edit by hand.`,
    ' *',
    ' * Patch releases are read because some add a flag before the next minor does (backports); none',
    ` * removes one. The patch releases whose flags differ from their minor's .0 (${patchChanges.length}):`,
    ...patchChanges.map((c) => ` *   ${c}`),
    ' */',
    '',
    '/** The first and last minor release tag read. */',
    `export const REGISTER_HISTORY_FROM = '${written(minors[0].tag)}';`,
    `export const REGISTER_HISTORY_TO = '${written(minors.at(-1).tag)}';`,
    '',
    `/** Every minor release read, in order, then ${now.version}'s minor (the current table's). */`,
    'export const REGISTER_HISTORY_MINORS: readonly string[] = [',
    ...[...minors.map((r) => written(r.tag)), nowMinor].filter((m, i, all) => all.indexOf(m) === i).map((m) => `  '${m}',`),
    '];',
    '',
    '/**',
    ` * Every flag (long or short name) a release defined that ${now.version} does not (${removed.length}): the`,
    ' * releases it was in, as [first release it is in, first release it is no longer in] ranges in',
    ' * version order (`14.0` is v14.0.0, `16.3.1` a patch release).',
    ' */',
    'export const REGISTER_REMOVED_FLAGS: ReadonlyMap<string, readonly (readonly [string, string])[]> = new Map([',
    ...removed.map((n) => `  ['${n}', [${rangesOf(n).map(range).join(', ')}]],`),
    ']);',
    '',
    '/**',
    ` * Every flag of ${now.version} that a release since ${releases[0].tag} lacks (${added.length}): the releases it is in,`,
    ' * as ranges the same way, the last open ([first release it is in], up to the current table). A',
    ` * current flag not listed is in every release read.`,
    ' */',
    'export const REGISTER_ADDED_FLAGS: ReadonlyMap<string, readonly (readonly [string] | readonly [string, string])[]> = new Map<string, readonly (readonly [string] | readonly [string, string])[]>([',
    ...added.map((n) => `  ['${n}', [${rangesOf(n).map(range).join(', ')}]],`),
    ']);',
    '',
  ];
  process.stdout.write(out.join('\n'));
}

if (process.argv[2] === '--history') history();
else currentTable();
