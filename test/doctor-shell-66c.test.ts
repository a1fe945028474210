import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { codesIn, doctorTexts, placeOf } from './helpers/doctor.js';
import { assignedInForce, scriptStop } from '../src/doctor/shell-vars.js';
import { serviceAccountsMadeByCommands } from '../src/doctor/kubectl-create.js';

/**
 * Stop 66c: the shell reader's leftovers. Each script case was checked against bash 5.2 on this
 * machine and is checked again here where bash runs: each helm command replaced by `echo "$NS"`.
 * GitLab CI jobs: a job's before_script and script items run in one shell in order (docs.gitlab.com,
 * CI/CD YAML syntax reference), its `variables:` over the file's (docs.gitlab.com, CI/CD variable
 * precedence).
 */

const VALUES = 'gitlabUrl: https://gitlab.example.com/\nrunners:\n  config: |\n    [[runners]]\n      [runners.kubernetes]\n        namespace = "ci"\n';
const HELM = 'helm upgrade --install r gitlab/gitlab-runner -n "$NS" -f values.yaml';
const rf948 = (files: Record<string, string>) => codesIn(doctorTexts({ ...files, 'values.yaml': VALUES }), 'RF948');
/** What bash prints with each helm command replaced by `echo "$NS"`; undefined without bash. */
const bashSays = (text: string): string[] | undefined => {
  try {
    return execFileSync('bash', ['-c', text.replaceAll(HELM, 'echo "$NS"')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').slice(0, -1);
  } catch (e) {
    const out = (e as { stdout?: unknown }).stdout;
    return typeof out === 'string' ? out.split('\n').slice(0, -1) : undefined;
  }
};

describe('declare, typeset, local, export -n', () => {
  it('`declare NS=Runners`, `declare -r`, `typeset -x`, `export -n`: bash sets NS as written: RF948 at the value (was not read)', () => {
    for (const form of ['declare NS=Runners', 'declare -r NS=Runners', 'typeset -x NS=Runners', 'export -n NS=Runners', 'declare -g NS=Runners']) {
      const sh = `#!/bin/bash\n${form}\n${HELM}\n`;
      expect(bashSays(sh) ?? ['Runners']).toEqual(['Runners']);
      expect(rf948({ 'deploy.sh': sh }).map((x) => x.path)).toEqual([placeOf('deploy.sh', sh, 'Runners')]);
    }
  });

  it('twins: `declare -l NS=Runners` (bash prints runners) and `local NS=Runners` outside a function (bash refuses it, NS stays ci): no RF948', () => {
    const lower = `#!/bin/bash\ndeclare -l NS=Runners\n${HELM}\n`;
    expect(bashSays(lower) ?? ['runners']).toEqual(['runners']);
    expect(rf948({ 'deploy.sh': lower })).toEqual([]);
    const local = `#!/bin/bash\nNS=ci\nlocal NS=Runners\n${HELM}\n`;
    expect(bashSays(local) ?? ['ci']).toEqual(['ci']);
    expect(rf948({ 'deploy.sh': local })).toEqual([]);
  });
});

describe("ANSI-C quoting `$'…'`", () => {
  it("`A=$'it\\'s'` is one word (bash prints it's and then Runners): the next lines are read, RF948 at NS's value (was taken for an unclosed quote)", () => {
    const sh = `#!/bin/bash\nA=$'it\\'s'\necho "$A"\nNS=Runners\n${HELM}\n`;
    expect(bashSays(sh) ?? ["it's", 'Runners']).toEqual(["it's", 'Runners']);
    expect(rf948({ 'deploy.sh': sh }).map((x) => x.path)).toEqual([placeOf('deploy.sh', sh, 'Runners')]);
  });
});

describe('an unclosed array `A=(`: one place that says where bash stops (scriptStop), used by every reader', () => {
  const sh = `#!/bin/bash\nNS=ci\nARGS=(--wait\nNS=team-b\nkubectl create serviceaccount runner -n "$NS"\n`;
  it('bash stops before the array line runs: assignedInForce reads no name after it, kubectl-create.ts no service account made after it (was: NS=team-b and an account made)', () => {
    expect(scriptStop(sh)?.line).toBe(3);
    const end = sh.indexOf('kubectl');
    expect(assignedInForce(sh, end).size).toBe(0);
    expect([...serviceAccountsMadeByCommands(new Map([['deploy.sh', sh]])).keys()]).toEqual([]);
    // Twin: the array closed: the account is made in team-b.
    const closed = sh.replace('--wait', '--wait)');
    expect(assignedInForce(closed, closed.indexOf('kubectl')).get('NS')).toBe('team-b');
    expect(serviceAccountsMadeByCommands(new Map([['deploy.sh', closed]])).get('runner')?.map((m) => m.namespace)).toEqual(['team-b']);
  });
});

describe('RF948 groups of helm and kubectl commands name both kinds', () => {
  it("`NS=Runners` read by kubectl and helm: the consequence for each kind (was helm's alone)", () => {
    const sh = `#!/bin/bash\nNS=Runners\nkubectl create ns "$NS"\n${HELM}\n`;
    const f = rf948({ 'deploy.sh': sh });
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('for the helm command, helm stops before it installs anything');
    expect(f[0]!.message).toContain('for the kubectl command, kubectl create namespace fails');
    // Twin: helm alone keeps its own words.
    expect(rf948({ 'deploy.sh': `#!/bin/bash\nNS=Runners\n${HELM}\n` })[0]!.message).not.toContain('for the helm command');
  });
});

describe('GitLab CI jobs: script items in one shell, variables', () => {
  it('`- export NS=Runners` then `- helm -n "$NS"` in the same job: RF948 at the item\'s value (was not read)', () => {
    for (const set of ['export NS=Runners', 'NS=Runners']) {
      const ci = `deploy:\n  script:\n    - ${set}\n    - ${HELM}\n`;
      expect(bashSays(`${set}\n${HELM}\n`) ?? ['Runners']).toEqual(['Runners']);
      expect(rf948({ '.gitlab-ci.yml': ci }).map((x) => x.path)).toEqual([placeOf('.gitlab-ci.yml', ci, 'Runners')]);
    }
  });

  it("before_script's assignment, and default's: read by the job's script", () => {
    const ci = `default:\n  before_script:\n    - NS=Runners\ndeploy:\n  script:\n    - ${HELM}\n`;
    expect(rf948({ '.gitlab-ci.yml': ci }).map((x) => x.path)).toEqual([placeOf('.gitlab-ci.yml', ci, 'Runners')]);
  });

  it("the top-level variables: read; the job's own variables win over them (no RF948 for ci)", () => {
    const top = `variables:\n  NS: Runners\ndeploy:\n  script:\n    - ${HELM}\n`;
    expect(rf948({ '.gitlab-ci.yml': top }).map((x) => x.path)).toEqual([placeOf('.gitlab-ci.yml', top, 'Runners')]);
    const job = `variables:\n  NS: Runners\ndeploy:\n  variables:\n    NS: ci\n  script:\n    - ${HELM}\n`;
    expect(rf948({ '.gitlab-ci.yml': job })).toEqual([]);
  });

  it("twins: another job's assignment is not this job's shell; an assignment after the command does not count", () => {
    const other = `prepare:\n  script:\n    - NS=Runners\ndeploy:\n  script:\n    - ${HELM}\n`;
    expect(rf948({ '.gitlab-ci.yml': other })).toEqual([]);
    const after = `deploy:\n  script:\n    - ${HELM}\n    - NS=Runners\n`;
    expect(rf948({ '.gitlab-ci.yml': after })).toEqual([]);
  });
});
