/**
 * Which kustomize builds the files given run with no load restrictor, as a command in them says:
 * `kustomize build --load-restrictor LoadRestrictionsNone overlays/prod` (v3: `--load_restrictor
 * none`) or `kubectl kustomize overlays/prod --load-restrictor LoadRestrictionsNone`. The flag is a
 * flag of that one build (kustomize api/krusty options: LoadRestrictions, set per `build` run), so
 * it lifts the restrictor for the kustomization the command names, not for every kustomization
 * given (stop 55 read it as lifted everywhere).
 *
 * 'all' where a command's build is not known: the flag outside a `kustomize build` / `kubectl
 * kustomize` command (Argo CD's `kustomize.buildOptions` in argocd-cm applies to every application
 * it builds), a build of the working folder (no path: where the command runs is not in the files),
 * or a path written with a variable, a glob or a command substitution.
 */
export type Lifted = 'all' | { script: string; path: string }[];

const FLAG = /--load[-_]restrictor(?:[=\s]+|\s*[:=]\s*["']?)(?:LoadRestrictionsNone|none)\b/;

/** kustomize build's and kubectl kustomize's flags that take a value (`--flag value`; `--flag=value` is one word). */
const TAKES_VALUE = new Set(['--load-restrictor', '--load_restrictor', '-o', '--output', '--helm-command', '--helm-api-versions', '--helm-kube-version', '--mount', '-e', '--env', '--reorder', '--network-name', '--as-user', '--kubeconfig', '--context', '-n', '--namespace', '--server', '--cluster', '--user', '--token']);

/** Where a command ends in a line of shell. */
const ENDS = new Set(['|', '||', '&&', ';', '&', '>', '>>', '<', '2>', '2>&1', ')', '`']);

/** A line of shell as words: quotes taken off, operators as words of their own. Good enough for a command line; not a shell. */
function words(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let some = false;
  const end = () => {
    if (some) out.push(cur);
    cur = '';
    some = false;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      some = true;
    } else if (c === '#' && !some) break;
    else if (/\s/.test(c)) end();
    else if (c === '|' || c === '&' || c === ';' || c === '>' || c === '<' || c === ')' || c === '`') {
      // `2>&1`, `1>out`: the descriptor is the redirection's, not a word of the command.
      if ((c === '>' || c === '<') && /^\d+$/.test(cur)) {
        cur = '';
        some = false;
      }
      end();
      let op = c;
      while (i + 1 < line.length && /[|&>]/.test(line[i + 1]!)) op += line[++i];
      out.push(op === '>&' || op === '&>' ? '>' : op.length > 2 ? op.slice(0, 2) : op);
    } else {
      cur += c;
      some = true;
    }
  }
  end();
  return out;
}

/** The builds (folder written, as in the command) that the texts run with no load restrictor, or 'all'. */
export function restrictorLiftedBy(texts: ReadonlyMap<string, string> | undefined): Lifted {
  const out: { script: string; path: string }[] = [];
  for (const [script, text] of texts ?? []) {
    if (!FLAG.test(text)) continue;
    // Lines continued with a backslash are one command.
    for (const line of text.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
      if (!FLAG.test(line)) continue;
      const w = words(line);
      let found = false;
      for (let i = 0; i < w.length; i++) {
        const build = (w[i] === 'kustomize' || w[i]!.endsWith('/kustomize')) && w[i + 1] === 'build' ? i + 2 : (w[i] === 'kubectl' || w[i]!.endsWith('/kubectl')) && w[i + 1] === 'kustomize' ? i + 2 : -1;
        if (build < 0) continue;
        let j = build;
        let lifts = false;
        const paths: string[] = [];
        for (; j < w.length && !ENDS.has(w[j]!); j++) {
          const a = w[j]!;
          if (FLAG.test(`${a} ${w[j + 1] ?? ''}`) || FLAG.test(a)) lifts = true;
          if (a.startsWith('-')) {
            if (!a.includes('=') && TAKES_VALUE.has(a)) j++;
          } else paths.push(a);
        }
        if (!lifts) continue;
        found = true;
        const path = paths.length === 1 ? paths[0]! : undefined;
        // The working folder, a path only the shell knows, or a second path (not one build): as before, every build.
        if (path === undefined || path === '.' || path === './' || /[$*?{}`[\]~]/.test(path)) return 'all';
        out.push({ script, path });
        i = j;
      }
      if (!found) return 'all';
    }
  }
  return out;
}
