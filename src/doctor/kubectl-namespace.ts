import { namespaceRefused } from './namespace-names.js';
import { shellWords, type Word } from './register-command.js';
import { shellCommentScanner } from '../platforms/aws-vm/shell-comment.js';
import type { VarSource } from './shell-vars.js';
import type { Position } from './source.js';

/**
 * RF948 for a namespace Kubernetes refuses given to kubectl in a script, Makefile or CI file (the
 * files helm-command.ts reads commands in): `-n NS`, `-nNS`, `-n=NS`, `--namespace NS`,
 * `--namespace=NS` (kubectl's global flag, pflag syntax; the last one given wins), and the name of
 * `kubectl create namespace|ns NAME` (kubernetes/kubectl pkg/cmd/create/create_namespace.go, alias
 * `ns`). Nothing else of a kubectl command is read here (kubectl-create.ts reads `create
 * serviceaccount`). A word with variables is read as helm's `-n` is (the same VarSource, so
 * `-n "$NS"` over `NS=Runners` is said at the assignment, in the same group as the helm commands
 * that read it); one not known is left alone (the doctor says nothing it cannot see). An empty
 * namespace (`-n ""`) is kubectl's "not given": the context's. `kubectl config …` writes a
 * kubeconfig and asks the API server nothing: not read.
 */

/** `kubectl`, also behind a path (`/usr/local/bin/kubectl`), then a blank: its words follow. */
const KUBECTL = /(?<![A-Za-z0-9_.-])kubectl(?=[ \t]|\\\r?\n)/g;
/** At most this many characters of one command are read, and at most this many commands of one file. */
const MAX_COMMAND = 16_384;
const MAX_COMMANDS = 500;

/** kubectl's flags (global ones and those of its common subcommands) that take the next word as their value when written without `=`. */
const VALUE_FLAGS = new Set([
  'namespace', 'context', 'kubeconfig', 'cluster', 'user', 'server', 'token', 'as', 'as-group', 'as-uid', 'request-timeout', 'certificate-authority',
  'client-certificate', 'client-key', 'tls-server-name', 'cache-dir', 'output', 'filename', 'selector', 'container', 'template', 'kustomize', 'field-manager',
  'field-selector', 'type', 'image', 'from-literal', 'from-file', 'from-env-file', 'timeout', 'for', 'overrides', 'port', 'replicas', 'grace-period',
  'cascade', 'patch', 'subresource', 'prune-allowlist', 'label-columns', 'sort-by', 'docker-server', 'docker-username', 'docker-password', 'docker-email',
]);
const SHORT: Readonly<Record<string, string>> = { n: 'namespace', s: 'server', o: 'output', f: 'filename', l: 'selector', c: 'container', k: 'kustomize', p: 'patch' };

/** What a refused namespace does to a kubectl command, and to several. */
const USE = {
  label: 'kubectl',
  consequence: 'no object can be in a namespace of that name (the API server refuses every object whose namespace is not such a label), so what this command creates or applies there is refused and what it reads there is never found',
  consequenceOfAll: 'no object can be in a namespace of that name (the API server refuses every object whose namespace is not such a label), so what these commands create or apply there is refused and what they read there is never found',
};
const CREATE = {
  label: 'kubectl',
  consequence: 'kubectl create namespace fails (the API server refuses the name), so the namespace is not made and nothing is deployed in it',
  consequenceOfAll: 'each of these commands fails or finds nothing (the API server refuses the name), so the namespace is not made and nothing is deployed in it',
};


/**
 * Each `kubectl` command of `view` (a CI file's folded view, else the text) given a namespace
 * Kubernetes refuses, into the file's RF948 groups: `place(value, word, command, vars, tool)` is
 * helm-command.ts refusedNamespacePlace, so kubectl's and helm's share one finding per assignment.
 * Commands from `until` on are not read: the ones with a namespace are returned, named with their lines.
 */
export function readKubectlNamespaces(view: string, expandAt: (at: number) => (w: Word) => string | undefined, varsAt: (at: number) => VarSource, pos: (offset: number) => Position, place: (value: string, word: Word, c: { pos: (offset: number) => Position; command: string; vars: VarSource }, tool: { label: string; consequence: string; consequenceOfAll: string }) => void, until = Infinity): string[] {
  // The commands at or after `until` (a script's unclosed array: they never run), not read: named for the caller to say so.
  const skipped: string[] = [];
  const commented = shellCommentScanner(view);
  let looked = 0;
  KUBECTL.lastIndex = 0;
  for (let m = KUBECTL.exec(view); m !== null && looked < MAX_COMMANDS; m = KUBECTL.exec(view)) {
    looked++;
    if (pos(m.index).column > MAX_COMMAND || commented(m.index)) continue;
    const from = m.index + m[0].length;
    const found = namespaceWords(shellWords(view, from, Math.min(view.length, from + MAX_COMMAND)));
    if (found === undefined) continue;
    if (m.index >= until) {
      skipped.push(`${found.command} (line ${pos(m.index).line})`);
      continue;
    }
    const expand = expandAt(m.index);
    for (const { word, creates } of found.words) {
      const value = word.text.includes('$') ? expand(word) : word.text;
      if (value === undefined || value === '' || namespaceRefused(value) === undefined) continue;
      place(value, word, { pos, command: found.command, vars: varsAt(m.index) }, creates ? CREATE : USE);
    }
  }
  return skipped;
}

/**
 * The namespace words of one kubectl command's words: the last `-n`/`--namespace` value, and the
 * name of `create namespace|ns NAME`; the command as `kubectl <subcommand>`. Undefined for `kubectl
 * config …` and a command with none. Words after `--` are another command's (`kubectl exec … -- sh`).
 */
function namespaceWords(words: readonly Word[]): { command: string; words: { word: Word; creates: boolean }[] } | undefined {
  const positionals: Word[] = [];
  let flag: Word | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const t = w.text;
    if (t === '--') break;
    if (/^\d*(?:>>?|<)/.test(t)) {
      // A redirection (`> out.yaml`, `2>&1`): the shell's.
      if (/^\d*(?:>>?|<)(?:&\d*-?)?$/.test(t)) i++;
      continue;
    }
    const long = /^--([A-Za-z0-9-]+)(=?)([\s\S]*)$/.exec(t);
    const short = long ? undefined : /^-([A-Za-z])(=?)([\s\S]*)$/.exec(t);
    if (!long && !short) {
      positionals.push(w);
      continue;
    }
    const name = long ? long[1]! : (SHORT[short![1]!] ?? short![1]!);
    const inline = long ? long[2] === '=' : short![2] === '=' || short![3] !== '';
    const valueAt = t.length - (long ? long[3]! : short![3]!).length;
    if (inline) {
      if (name === 'namespace') flag = { text: t.slice(valueAt), at: w.at + valueAt, expansion: w.expansion, ...(w.escaped?.startsWith(t.slice(0, valueAt)) ? { escaped: w.escaped.slice(valueAt) } : {}) };
      continue;
    }
    if (!VALUE_FLAGS.has(name) || i + 1 >= words.length) continue;
    if (name === 'namespace') flag = words[i + 1];
    i++;
  }
  const sub = positionals[0]?.text;
  if (sub === undefined || sub === 'config') return undefined;
  const creates = sub === 'create' && (positionals[1]?.text === 'namespace' || positionals[1]?.text === 'ns') && positionals[2] !== undefined;
  const out = [...(flag !== undefined ? [{ word: flag, creates: false }] : []), ...(creates ? [{ word: positionals[2]!, creates: true }] : [])];
  if (out.length === 0) return undefined;
  return { command: `kubectl ${creates ? `create ${positionals[1]!.text}` : sub}`, words: out };
}
