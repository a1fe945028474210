import { isMap, isScalar, isSeq, parseDocument, Scalar, type Node } from 'yaml';
import { inForce, type VarSource } from './shell-vars.js';

/**
 * The shell variables in force at a command of a GitLab CI job (`.gitlab-ci.yml`), for the helm and
 * kubectl readers (helm-command.ts, kubectl-namespace.ts). GitLab runs a job's `before_script` and
 * `script` items in one shell, in order (docs.gitlab.com, CI/CD YAML syntax reference: `before_script`
 * "concatenated with any scripts specified in the main script, and executed together in a single
 * shell"), so an item `- NS=x` or `- export NS=x` sets NS for the later items of that job, and for
 * no other job. The job's `variables:` are in its environment from the start, over the file's
 * top-level `variables:` (docs.gitlab.com, "CI/CD variable precedence": job variables beat the
 * `.gitlab-ci.yml` default variables; variables set in the UI, a schedule or a pipeline trigger beat
 * both and are not in the files). A job without its own `before_script` runs `default:`'s (or the
 * top-level one's). Each job's lines are read as a script that runs top to bottom once
 * (shell-vars.ts inForce): the variables first as assignments, then the items, each on its lines.
 * Where a value was read from is given back in the file's offsets where the item is written as it is
 * read (a plain or quoted scalar without escapes). Not followed: `extends:`, `!reference`, `include:`.
 * A command outside a job's script items gives undefined (the caller reads the file's names set once).
 */

/** Top-level keys that are no job (docs.gitlab.com, CI/CD YAML syntax reference: global keywords). */
const GLOBAL_KEYS = new Set(['variables', 'default', 'stages', 'include', 'workflow', 'image', 'services', 'cache', 'before_script', 'after_script', 'types', 'pages:deploy']);

/** A stretch of the job's script text copied as written from the file: `synth` in the script, `file` in the file, `length` characters. */
interface Segment { synth: number; file: number; length: number }

interface Job {
  /** Each script item's range in the file and its start in the job's script, with its exact segment where it has one. */
  items: { from: number; to: number; synth: number; parts: Segment[] }[];
  segments: Segment[];
  script: string;
  order?: ReturnType<typeof inForce>;
}

/** A scalar's value and, where its text in the file is that value as written, where that text starts. */
function scalarText(node: unknown, text: string): { value: string; at?: number; lines?: { value: number; file: number; length: number }[] } | undefined {
  if (!isScalar(node) || !node.range) return undefined;
  const v = node.value;
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return undefined;
  const value = String(v);
  const start = node.range[0] + (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE ? 1 : 0);
  const exact = (node.type === Scalar.PLAIN || node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE) && text.slice(start, start + value.length) === value;
  if (exact) return { value, at: start };
  if (node.type !== Scalar.BLOCK_LITERAL) return { value };
  // A literal block (`|`): each line of the value is a line of the file after its indentation, found line by line.
  const lines: { value: number; file: number; length: number }[] = [];
  let file = text.indexOf('\n', node.range[0]) + 1;
  let vAt = 0;
  for (const l of value.split('\n')) {
    if (file <= 0 || file >= node.range[1]) break;
    const end = text.indexOf('\n', file);
    const src = text.slice(file, end < 0 ? text.length : end);
    const col = l === '' ? -1 : src.indexOf(l);
    if (col >= 0 && /^[ \t]*$/.test(src.slice(0, col))) lines.push({ value: vAt, file: file + col, length: l.length });
    vAt += l.length + 1;
    file = end < 0 ? -1 : end + 1;
  }
  return { value, lines };
}

/** The last element of `list` (ascending by `key`) whose key is at most `at`: a binary search, so a job of many lines costs log n per command. */
function last<T>(list: readonly T[], key: (t: T) => number, at: number): T | undefined {
  let [lo, hi, found] = [0, list.length - 1, -1];
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (key(list[mid]!) <= at) [found, lo] = [mid, mid + 1];
    else hi = mid - 1;
  }
  return found < 0 ? undefined : list[found];
}

export function ciJobVars(text: string): ((at: number) => VarSource | undefined) | undefined {
  let doc;
  try {
    doc = parseDocument(text, { merge: true, logLevel: 'silent', uniqueKeys: false });
  } catch {
    return undefined;
  }
  const top = doc.contents;
  if (!isMap(top)) return undefined;
  const def = top.get('default', true);
  const defaultBefore = (isMap(def) && def.has('before_script') ? def.get('before_script', true) : top.get('before_script', true)) as Node | undefined;
  const jobs: Job[] = [];
  for (const pair of top.items) {
    if (!isScalar(pair.key) || GLOBAL_KEYS.has(String(pair.key.value)) || !isMap(pair.value)) continue;
    const job = pair.value;
    const main = job.get('script', true) as Node | undefined;
    if (main === undefined) continue;
    const j: Job = { items: [], segments: [], script: '' };
    const line = (s: string, exactAt?: number): Segment | undefined => {
      const seg = exactAt !== undefined ? { synth: j.script.length, file: exactAt, length: s.length } : undefined;
      if (seg) j.segments.push(seg);
      j.script += `${s}\n`;
      return seg;
    };
    // The variables as assignments: the file's, then the job's over them (a later assignment wins).
    for (const vars of [top.get('variables', true), job.get('variables', true)]) {
      if (!isMap(vars)) continue;
      for (const v of vars.items) {
        const name = isScalar(v.key) ? String(v.key.value) : '';
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) continue;
        const valueNode = isMap(v.value) ? v.value.get('value', true) : v.value;
        const s = scalarText(valueNode, text);
        // A value the shell would read otherwise than as written (quotes, backslashes, backticks): set to one only the run knows.
        if (s === undefined || /["'\\`\n]/.test(s.value)) {
          line(`${name}=$(:)`);
          continue;
        }
        const prefix = `${name}="`;
        const seg = s.at !== undefined ? { synth: j.script.length + prefix.length, file: s.at, length: s.value.length } : undefined;
        if (seg) j.segments.push(seg);
        j.script += `${prefix}${s.value}"\n`;
      }
    }
    const before = job.has('before_script') ? (job.get('before_script', true) as Node | undefined) : defaultBefore;
    for (const list of [before, main]) {
      const items = isSeq(list) ? list.items.flatMap((i) => (isSeq(i) ? i.items : [i])) : list !== undefined ? [list] : [];
      for (const item of items) {
        const s = scalarText(item, text);
        const range = (item as Node | null)?.range;
        if (s === undefined || !range) continue;
        const synth = j.script.length;
        const exact = line(s.value, s.at);
        const parts = exact ? [exact] : (s.lines ?? []).map((l) => ({ synth: synth + l.value, file: l.file, length: l.length }));
        if (!exact) for (const p of parts) j.segments.push(p);
        j.items.push({ from: range[0], to: range[1], synth, parts });
      }
    }
    if (j.items.length > 0) jobs.push(j);
  }
  if (jobs.length === 0) return undefined;
  return (at) => {
    for (const j of jobs) {
      const item = last(j.items, (i) => i.from, at);
      if (item === undefined) continue;
      if (at >= item.to) continue;
      const found = last(item.parts, (p) => p.file, at);
      const part = found !== undefined && at < found.file + found.length ? found : undefined;
      const synth = part !== undefined ? part.synth + (at - part.file) : item.synth;
      const source = (j.order ??= inForce(j.script)).at(synth);
      return {
        get: (name) => source.get(name),
        at: (name) => {
          const o = source.at?.(name);
          const found = o === undefined ? undefined : last(j.segments, (x) => x.synth, o);
          const seg = found !== undefined && o! < found.synth + found.length ? found : undefined;
          return seg === undefined ? undefined : seg.file + (o! - seg.synth);
        },
      };
    }
    return undefined;
  };
}
