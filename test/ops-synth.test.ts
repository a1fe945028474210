import { describe, expect, it } from 'vitest';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { synthFiles } from '../src/core.js';
import { evaluatePolicies, compilePolicy } from '../src/verify/iam/evaluator.js';
import { DRAIN_HOOK, unverifiedDownloads } from '../src/platforms/aws-vm/common.js';
import { exampleNames, planExample, planMutated } from './helpers/fleet.js';

/** What synth does for operations (issue 12): token rotation off in the runner, drain on both sides. */
const file = (name: string, path: string) => synthFiles(planExample(name)).find((f) => f.path === path)?.content;

describe('synth for operations', () => {
  it.each(exampleNames())('%s: every config.toml disables automatic token rotation, and the output README says why', (name) => {
    const files = synthFiles(planExample(name));
    const tomls = files.filter((f) => f.path.endsWith('config.toml'));
    expect(tomls.length).toBeGreaterThan(0);
    for (const t of tomls) {
      const doc = parseToml(t.content) as { runners: { feature_flags?: Record<string, boolean> }[] };
      // Kubernetes runners also set FF_USE_ADVANCED_POD_SPEC_CONFIGURATION: their job pods' seccomp patch needs it (66g).
      const { FF_USE_ADVANCED_POD_SPEC_CONFIGURATION: podSpec, ...flags } = doc.runners[0]!.feature_flags ?? {};
      expect(flags).toEqual({ FF_DISABLE_AUTOMATIC_TOKEN_ROTATION: true });
      expect(podSpec === undefined || podSpec === true).toBe(true);
    }
    expect(files.find((f) => f.path === 'README.md')!.content).toMatch(/FF_DISABLE_AUTOMATIC_TOKEN_ROTATION = true`. Otherwise/);
  });

  it('Kubernetes job pods are annotated so node consolidation does not evict them', () => {
    const doc = parseToml(file('eks-irsa', 'runners/build/config.toml')!) as { runners: { kubernetes: { pod_annotations: Record<string, string> } }[] };
    expect(doc.runners[0]!.kubernetes.pod_annotations).toEqual({ 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false', 'karpenter.sh/do-not-disrupt': 'true' });
  });

  it.each([
    [undefined, 3600, 3600],
    [7200, 3600, 7260],
    [600, 3600, 3600],
    [7200, 9000, 9000],
  ])('maximum timeout %s, grace %i → the chart gets %i s', (maxTimeout, grace, want) => {
    const plan = planMutated('eks-irsa', (s) => {
      if (maxTimeout !== undefined) s.runners[0].gitlab.maximumTimeoutSeconds = maxTimeout;
      s.runners[0].manager = { terminationGracePeriodSeconds: grace };
    });
    const values = parseYaml(synthFiles(plan).find((f) => f.path === `helm/${plan.fleet!.runners[0]!.name}/values.yaml`)!.content) as { terminationGracePeriodSeconds: number };
    expect(values.terminationGracePeriodSeconds).toBe(want);
  });

  it('VM managers: a termination lifecycle hook, a drain watcher in the boot script, and the right to complete the hook on their own group only', () => {
    const plan = planMutated('ec2-docker', (s) => (s.runners[0].gitlab.maximumTimeoutSeconds = 5400));
    const files = synthFiles(plan);
    const root = JSON.parse(files.find((f) => f.path === 'terraform/aws/main.tf.json')!.content) as { resource: Record<string, Record<string, Record<string, unknown>>> };
    const groups = Object.values(root.resource.aws_autoscaling_group!);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.initial_lifecycle_hook).toEqual([{ name: DRAIN_HOOK, lifecycle_transition: 'autoscaling:EC2_INSTANCE_TERMINATING', default_result: 'CONTINUE', heartbeat_timeout: 600 }]);
    const userData = files.find((f) => f.path.endsWith('user-data.sh'))!.content;
    expect(userData).toMatch(/autoscaling\/target-lifecycle-state/);
    expect(userData).toMatch(/MAX_SECONDS=5400/);
    expect(userData).toMatch(/systemctl kill --signal=SIGQUIT gitlab-runner/);
    expect(userData).toMatch(/complete-lifecycle-action .*--lifecycle-action-result CONTINUE/);
    const policy = Object.values(root.resource.aws_iam_role_policy!).map((p) => compilePolicy(JSON.parse(p.policy as string)));
    const group = String(groups[0]!.name);
    const arn = (g: string) => `arn:aws:autoscaling:eu-central-1:123456789012:autoScalingGroup:0f1e2d3c-aaaa-bbbb-cccc-0123456789ab:autoScalingGroupName/${g}`;
    const may = (action: string, g: string) => evaluatePolicies({ identity: policy }, { principal: { type: 'AWS', id: 'manager' }, action, resource: arn(g) });
    expect(may('autoscaling:CompleteLifecycleAction', group)).toBe('allow');
    expect(may('autoscaling:RecordLifecycleActionHeartbeat', group)).toBe('allow');
    expect(may('autoscaling:CompleteLifecycleAction', 'someone-elses-group')).not.toBe('allow');
  });

  it('a scheduled rotation pipeline exists when some runner is registered through the API, with an OIDC ID token and no GitLab token', () => {
    const text = file('ec2-docker', 'pipelines/rotate-tokens.gitlab-ci.yml')!;
    const doc = parseYaml(text) as Record<string, { rules: unknown; id_tokens: unknown; script: string[] }>;
    const job = doc['rotate-runner-tokens']!;
    expect(job.rules).toEqual([{ if: '$CI_PIPELINE_SOURCE == "schedule" && $CI_PROJECT_PATH == "acme/platform/runner-fleet" && $CI_COMMIT_REF_NAME == "main"' }]);
    expect(job.id_tokens).toEqual({ AWS_ID_TOKEN: { aud: 'sts.amazonaws.com' } });
    expect(job.script.at(-1)).toMatch(/rotate .* --if-expiring-within .* --approve/);
    expect(text).not.toMatch(/GITLAB_TOKEN|PRIVATE-TOKEN/);
    expect(file('eks-irsa', 'pipelines/rotate-tokens.gitlab-ci.yml')).toBeUndefined();
  });

  it.each([
    ['curl -fsS -H "X-aws-ec2-metadata-token: $t" "http://169.254.169.254/latest/meta-data/instance-id"', 0],
    ['curl -fsS http://169.254.169.254/latest/meta-data/x -o /tmp/a https://example.com/payload', 1],
    ['curl -fsSL https://example.com/install.sh -o /tmp/i.sh', 1],
    ['wget -qO- http://169.254.169.254/latest/meta-data/instance-id', 0],
  ])('RF720 lets only instance-metadata reads through: %s', (line, findings) => {
    expect(unverifiedDownloads(['#!/bin/bash', 'set -euo pipefail', line].join('\n'))).toHaveLength(findings);
  });

  // The check RF720's fix gives (a hand-written user data, read by the doctor): the downloaded file
  // checked against a SHA-256 written in the script on the next line that names it.
  const SHA = 'ab'.repeat(32);
  it.each([
    ['curl -o FILE, then echo "<sha256>  FILE" | sha256sum -c -', ['curl -fsSL -o /tmp/r.rpm "https://x.example/r.rpm"', `echo "${SHA}  /tmp/r.rpm" | sha256sum -c -`, 'dnf install -y /tmp/r.rpm'], 0],
    ['curl -fsSLo FILE, sha256sum --check <<<', ['curl -fsSLo /opt/bin/tool https://x.example/tool', `sha256sum --check <<< "${SHA} */opt/bin/tool"`], 0],
    ['wget -O FILE, printf … | sha256sum -c', ['wget -q -O /tmp/t.tgz https://x.example/t.tgz', `printf '%s  %s\\n' ${SHA} /tmp/t.tgz | sha256sum -c`], 0],
    ['wget --output-document=FILE, echo … | sha256sum -c', ['wget --output-document=/tmp/t.tgz https://x.example/t.tgz', `echo "${SHA}  /tmp/t.tgz" | sha256sum -c`], 0],
    ['no check', ['curl -fsSL -o /tmp/r.rpm https://x.example/r.rpm', 'dnf install -y /tmp/r.rpm'], 1],
    ['the file used before its check', ['curl -fsSL -o /tmp/tool https://x.example/tool', 'chmod +x /tmp/tool', `echo "${SHA}  /tmp/tool" | sha256sum -c -`], 1],
    ['a checksum from a variable, not the script', ['curl -fsSL -o /tmp/tool https://x.example/tool', 'echo "$TOOL_SHA  /tmp/tool" | sha256sum -c -'], 1],
    ['another file checked', ['curl -fsSL -o /tmp/tool https://x.example/tool', `echo "${SHA}  /tmp/other" | sha256sum -c -`, '/tmp/tool --version'], 1],
    ['a SHA-1 length digest', ['curl -fsSL -o /tmp/tool https://x.example/tool', `echo "${'ab'.repeat(20)}  /tmp/tool" | sha1sum -c -`], 1],
    ['a download piped into a shell, whatever follows', ['curl -fsSL -o /tmp/i.sh https://x.example/i.sh | sh', `echo "${SHA}  /tmp/i.sh" | sha256sum -c -`], 1],
    ['curl to stdout', ['curl -fsSL https://x.example/tool > /tmp/tool', `echo "${SHA}  /tmp/tool" | sha256sum -c -`], 1],
  ] as const)('RF720 accepts a download checked against a pinned SHA-256 before use: %s', (_name, lines, findings) => {
    expect(unverifiedDownloads(['#!/bin/bash', 'set -euo pipefail', ...lines].join('\n'))).toHaveLength(findings);
  });
});
