// The walk scripts/register-flags.js describes, as a function (see there).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The flags `gitlab-runner register` defines in the source tree at `root`: { version, flags, unresolved },
 * each flag { long, short, boolean, field }. Also used by scripts/register-flags-history.js on older trees,
 * which have no go.mod (Godeps, dep): their import path is the one commands/register.go imports common from.
 */
export function readRegisterFlags(root) {
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
        flags.push({ long: long ? [...ns, long].join('-') : undefined, short: short ? [...ns, short].join('-') : undefined, boolean, field: where });
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
