import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { codesIn, doctorTexts, placeOf } from './helpers/doctor.js';
import { report } from './helpers/tools.js';

/**
 * Stop 65b: RF948 of a namespace Kubernetes refuses, said at the assignment the shell reader
 * (shell-vars.ts) found when it worked out the value (VarSource.at), not at a line a regex of its
 * own found (helm-command.ts assignmentOf, gone). Each case's value was checked against bash 5.2 on
 * this machine (in its comment), and is checked again here where bash runs: each helm command
 * replaced by `echo "$NS"`, `$1` = x.
 */

const VALUES = 'gitlabUrl: https://gitlab.example.com/\nrunners:\n  config: |\n    [[runners]]\n      [runners.kubernetes]\n        namespace = "ci"\n';
const HELM = 'helm upgrade --install r gitlab/gitlab-runner -n "$NS" -f values.yaml';
const rf948 = (files: Record<string, string>) => codesIn(doctorTexts({ ...files, 'values.yaml': VALUES }), 'RF948');
/** What bash prints with each helm command replaced by `echo "$NS"`; undefined without bash. */
const bashSays = (text: string): string[] | undefined => {
  try {
    return execFileSync('bash', ['-c', text.replaceAll(HELM, 'echo "$NS"'), 'bash', 'x'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').slice(0, -1);
  } catch {
    return undefined;
  }
};

describe('RF948 at the assignment the shell reader reads the value from', () => {
  it('`readonly NS=Runners`: bash sets NS by it (it was not read, so no RF948 was said): one RF948 at its value', () => {
    // bash 5.2: `readonly NS=Runners; echo "$NS"` prints Runners.
    const sh = `#!/bin/bash\nreadonly NS=Runners\n${HELM}\n`;
    expect(bashSays(sh) ?? ['Runners']).toEqual(['Runners']);
    const f = rf948({ 'deploy.sh': sh });
    expect(f.map((x) => x.path)).toEqual([placeOf('deploy.sh', sh, 'Runners')]);
    expect(f[0]!.message).toMatch(/^the variable NS \(read as the namespace by helm upgrade r \(line 3\)\): the namespace "Runners"/);
  });

  it('a heredoc line `NS=Runners` is data: the RF948 is at the assignment bash runs (`{ NS=Runners; }`), not at the heredoc line the regex took', () => {
    // bash 5.2 prints Runners: the group runs in the shell itself; the heredoc's lines are cat's input.
    const sh = `#!/bin/bash\ncat > env.txt <<EOF\nNS=Runners\nEOF\n{ NS=Runners; }\n${HELM}\n`;
    expect(bashSays(sh.replace('env.txt', '/dev/null')) ?? ['Runners']).toEqual(['Runners']);
    expect(rf948({ 'deploy.sh': sh }).map((x) => x.path)).toEqual([placeOf('deploy.sh', sh, 'Runners', sh.indexOf('{'))]);
  });

  it('a case arm `x) NS=Runners; helm …`: at the arm\'s assignment (the regex, reading whole lines only, said it at the command)', () => {
    // bash 5.2, $1 = x: prints Runners.
    const sh = `#!/bin/bash\ncase $1 in\n  x) NS=Runners; ${HELM};;\nesac\n`;
    expect(bashSays(sh) ?? ['Runners']).toEqual(['Runners']);
    expect(rf948({ 'deploy.sh': sh }).map((x) => x.path)).toEqual([placeOf('deploy.sh', sh, 'Runners')]);
  });

  it('NS=Runners twice: each command reads the assignment in force before it; one RF948 at each, naming the command that reads it', () => {
    // bash 5.2 prints Runners twice, from the second assignment and then the third line's.
    const sh = `#!/bin/bash\nNS=Runners\n${HELM}\nNS=Runners\n${HELM.replace(' r ', ' s ')}\n`;
    const f = rf948({ 'deploy.sh': sh });
    expect(f.map((x) => x.path)).toEqual([placeOf('deploy.sh', sh, 'Runners'), placeOf('deploy.sh', sh, 'Runners', sh.lastIndexOf('NS=Runners'))]);
    expect(f.map((x) => /by (helm upgrade \w) \(line (\d)\)/.exec(x.message)?.slice(1))).toEqual([['helm upgrade r', '3'], ['helm upgrade s', '5']]);
  });

  it('twins: a value in a branch that may not run is not known (RF903, no RF948); a comment `# NS=Runners` sets nothing', () => {
    // bash 5.2, $1 = x: prints a (the branch does not run).
    const branch = `#!/bin/bash\nNS=a\nif [ "$1" = y ]; then NS=Runners; fi\n${HELM}\n`;
    expect(bashSays(branch) ?? ['a']).toEqual(['a']);
    expect(rf948({ 'deploy.sh': branch })).toEqual([]);
    const comment = `#!/bin/bash\n# NS=Runners\nNS=runners\n${HELM}\n`;
    expect(bashSays(comment) ?? ['runners']).toEqual(['runners']);
    expect(rf948({ 'deploy.sh': comment })).toEqual([]);
  });

  it("a Makefile whose recipe runs `NS=Runners ./x` (the shell's, not make's): the RF948 is at make's one `NS := Runners` (the regex counted the recipe line too and said it at the command)", () => {
    const mk = 'NS := Runners\ndeploy:\n\tNS=Runners ./check.sh\n\thelm upgrade --install r gitlab/gitlab-runner -n $(NS) -f values.yaml\n';
    expect(rf948({ Makefile: mk }).map((x) => x.path)).toEqual(['Makefile:1:7']);
  });
});

describe('RF948 for a namespace Kubernetes refuses given to kubectl', () => {
  it('`kubectl create namespace Runners`, `kubectl apply -n CI`, `--namespace=Bad_ns`, `-nTeam`: RF948 at each word', () => {
    const sh = '#!/bin/bash\nkubectl create namespace Runners\nkubectl apply -n CI -f runner.yaml\nkubectl --context prod get pods --namespace=Bad_ns\nkubectl rollout status deploy/r -nTeam\n';
    const f = rf948({ 'deploy.sh': sh });
    expect(f.map((x) => x.path)).toEqual([placeOf('deploy.sh', sh, 'Runners'), placeOf('deploy.sh', sh, 'CI'), placeOf('deploy.sh', sh, 'Bad_ns'), placeOf('deploy.sh', sh, 'Team')]);
    expect(f.map((x) => x.message.split(':')[0])).toEqual(['kubectl create namespace', 'kubectl apply', 'kubectl get', 'kubectl rollout']);
    expect(f[0]!.message).toMatch(/the namespace "Runners" is one Kubernetes refuses \(it holds "R" \(an upper-case letter\).*kubectl create namespace fails/);
    expect(f[1]!.message).toMatch(/what this command creates or applies there is refused/);
  });

  it('twins: lower-case names, an empty -n (the context\'s), `kubectl config … --namespace=Runners` (a kubeconfig, no API call), a comment, a variable not known, words after `--`: none', () => {
    const sh = '#!/bin/bash\nkubectl create ns runners\nkubectl apply -n ci -f r.yaml\nkubectl get pods -n ""\nkubectl config set-context --current --namespace=Runners\n# kubectl create namespace Runners\nkubectl get pods -n "$UNSET"\nkubectl exec r -- env -n Runners\n';
    expect(rf948({ 'deploy.sh': sh })).toEqual([]);
  });

  it('`NS=Runners` read by kubectl create ns "$NS" and helm -n "$NS": one RF948 at the assignment, naming both commands (helm\'s read first)', () => {
    const sh = `#!/bin/bash\nNS=Runners\nkubectl create ns "$NS"\n${HELM}\n`;
    const f = rf948({ 'deploy.sh': sh });
    expect(f.map((x) => x.path)).toEqual([placeOf('deploy.sh', sh, 'Runners')]);
    expect(f[0]!.message).toMatch(/^the variable NS \(read as the namespace by 2 places: helm upgrade r \(line 4\) and kubectl create ns \(line 3\)\)/);
  });

  it("a Makefile's `kubectl create namespace $(NS)` over NS := Runners, and a CI file's `- kubectl apply -n Runners`: RF948", () => {
    const mk = 'NS := Runners\nns:\n\tkubectl create namespace $(NS)\n';
    expect(rf948({ Makefile: mk }).map((x) => x.path)).toEqual(['Makefile:1:7']);
    const ci = 'deploy:\n  script:\n    - kubectl apply -n Runners -f runner.yaml\n';
    expect(rf948({ '.gitlab-ci.yml': ci }).map((x) => x.path)).toEqual([placeOf('.gitlab-ci.yml', ci, 'Runners')]);
  });
});

describe('an array `A=(` that no `)` closes', () => {
  /** What bash prints running the script (helm replaced by `echo "$NS"`) and whether it stopped with the syntax error; undefined without bash. */
  const bashRun = (text: string): { out: string[]; syntaxError: boolean } | undefined => {
    try {
      const out = execFileSync('bash', ['-c', `${text.replaceAll(HELM, 'echo "$NS"')}`, 'bash', 'x'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      return { out: out.split('\n').slice(0, -1), syntaxError: false };
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; status?: number };
      if (typeof err.stdout !== 'string') return undefined;
      return { out: err.stdout.split('\n').slice(0, -1), syntaxError: /unexpected EOF while looking for matching `\)'/.test(err.stderr ?? '') };
    }
  };

  it('read as bash reads it: to the end of the file, then a syntax error before that line runs; RF901 at its `(` naming the helm and kubectl commands after it, which are not read', () => {
    // bash 5.2: prints before, then "unexpected EOF while looking for matching `)'"; the echo on the array's line and everything after never run.
    const sh = `#!/bin/bash\nNS=ci\necho before\necho same-line; ARGS=(--atomic --wait\nNS=Runners\n${HELM}\nkubectl create namespace Runners\n`;
    const ran = bashRun(sh);
    expect(ran ?? { out: ['before'], syntaxError: true }).toEqual({ out: ['before'], syntaxError: true });
    const r = doctorTexts({ 'deploy.sh': sh, 'values.yaml': VALUES });
    expect(codesIn(r, 'RF948')).toEqual([]);
    const f = codesIn(r, 'RF901');
    expect(f.map((x) => x.path)).toEqual([placeOf('deploy.sh', sh, '(--atomic')]);
    expect(f[0]!.message).toMatch(/^deploy\.sh: the array assignment on line 4 opens `\(` and no `\)` closes it; .*helm upgrade \(line 6\) and kubectl create namespace \(line 7\) never run and are not read$/);
    // Its release is not read (it never runs): no chain from it.
    expect(r.findings.some((x) => x.code === 'RF903' && x.path.startsWith('deploy.sh:6'))).toBe(false);
  });

  it('twins: the array closed on a later line (bash prints Runners): read as before, RF948 at the assignment, no RF901; an unclosed array after the last command: no RF901', () => {
    const closed = `#!/bin/bash\nARGS=(--atomic\n  --wait)\nNS=Runners\n${HELM}\n`;
    expect(bashRun(closed) ?? { out: ['Runners'], syntaxError: false }).toEqual({ out: ['Runners'], syntaxError: false });
    const r = doctorTexts({ 'deploy.sh': closed, 'values.yaml': VALUES });
    expect(codesIn(r, 'RF901')).toEqual([]);
    expect(codesIn(r, 'RF948').map((x) => x.path)).toEqual([placeOf('deploy.sh', closed, 'Runners')]);
    const after = `#!/bin/bash\nNS=runners\n${HELM}\nARGS=(x\n`;
    expect(codesIn(doctorTexts({ 'deploy.sh': after, 'values.yaml': VALUES }), 'RF901')).toEqual([]);
  });
});

it('the bash comparisons ran, or say why not (each case falls back to the answer bash 5.2 gave)', () => {
  const hello = bashSays(`NS=x\n${HELM}\n`);
  report(hello === undefined ? 'SKIPPED: bash comparisons (65b, helm): bash did not run on this machine' : 'RAN: bash comparisons (65b, helm)');
  if (hello !== undefined) expect(hello).toEqual(['x']);
});
