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

it('the bash comparisons ran, or say why not (each case falls back to the answer bash 5.2 gave)', () => {
  const hello = bashSays(`NS=x\n${HELM}\n`);
  report(hello === undefined ? 'SKIPPED: bash comparisons (65b, helm): bash did not run on this machine' : 'RAN: bash comparisons (65b, helm)');
  if (hello !== undefined) expect(hello).toEqual(['x']);
});
