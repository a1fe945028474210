import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planText } from '../src/core.js';
import { doctor } from '../src/doctor/index.js';
import { unverifiedDownloads } from '../src/platforms/aws-vm/common.js';
import { dockerHostEscapes, escapeFindings } from '../src/verify/docker-escape.js';
import { verifyFleet } from '../src/verify/index.js';
import { intentOf } from '../src/verify/intent.js';
import type { PolicyDocument } from '../src/verify/iam/types.js';
import { corpusFiles } from './helpers/doctor.js';

/**
 * Issue 26b: what the doctor says of VM deployments seen in public repositories, made precise:
 * GitLab API calls are not unverified downloads (RF720), a manager on an aws_spot_instance_request
 * is read (and its metadata_options are not taken for applied), a read-only host mount is said to be
 * read-only (RF309), the user-data RF906 says why a part is unknown, RF714 speaks in the
 * deployment's terms, and the chain proof names the resource the manager was written as.
 */
const CORPUS = join(import.meta.dirname, 'doctor', 'corpus');
const script = (...lines: string[]) => ['#!/bin/bash', 'set -euo pipefail', ...lines].join('\n');
const SHA = 'ab'.repeat(32);

describe('RF720: code fetched and run or installed unverified, not API calls', () => {
  // The shapes of cattle-ops/terraform-aws-gitlab-runner's template/gitlab-runner.tftpl, rendered.
  it.each([
    ['verify a token: response thrown away (-o /dev/null -w code), POST --form', ['valid=$(curl -s -o /dev/null -w "%{response_code}" --request POST -L "https://gitlab.com/api/v4/runners/verify" --form "token=$token" )']],
    ['create a runner: POST with --header and --form on continuation lines, the answer read by jq', ['response=$(curl --request POST -L "https://gitlab.com/api/v4/user/runners" \\', '  --header "private-token: $gitlab_token" \\', '  --form "tag_list=docker" \\', '  --form "runner_type=instance_type")', 'token=$(echo "$response" | jq -r .token)']],
    ['register (legacy): POST --form, piped into jq on the last continuation line', ['token=$(curl --request POST -L "https://gitlab.com/api/v4/runners" \\', '  --form "token=$registration_token" \\', '  --form "description=runner" \\', '  | jq -r .token)']],
    ['unregister: DELETE --form, stderr joined to stdout', ['curl -sS --request DELETE "https://gitlab.com/api/v4/runners" --form "token=$token" 2>&1']],
    ['curl -X PATCH with --data', ['curl -fsS -X PATCH -H "PRIVATE-TOKEN: $t" --data "paused=true" "https://gitlab.example.com/api/v4/runners/7"']],
    ['curl --json (a POST of JSON)', ['curl -fsS --json \'{"a":1}\' https://hooks.example.com/notify']],
    ['a GET whose answer only jq reads', ['latest=$(curl -fsS https://api.github.com/repos/x/y/releases/latest | jq -r .tag_name)']],
    ['wget --post-data to stdout', ['wget -qO- --post-data "token=$t" https://gitlab.example.com/api/v4/runners/verify']],
    ['wget --spider (nothing fetched)', ['wget --spider https://gitlab.example.com/-/health']],
    // cmdlabs/terraform-aws-gitlab-runner-scale's user data: curl and wget named as packages to install.
    ['curl and wget as package names (yum)', ['yum install -y curl jq wget']],
    ['curl as a package name (apt-get, with an environment assignment and sudo)', ['sudo DEBIAN_FRONTEND=noninteractive apt-get install -y curl jq']],
    ['curl as a package name (apk, dnf) in a chain', ['apk add --no-cache curl && dnf install -y wget']],
  ])('no RF720: %s', (_name, lines) => {
    expect(unverifiedDownloads(script(...lines))).toEqual([]);
  });

  it.each([
    ['a POST whose answer is piped into a shell', ['curl -fsS -X POST https://x.example/install | bash'], 1],
    ['a POST whose answer is written to a file (later run)', ['curl -fsS --request POST https://x.example/tool -o /usr/local/bin/tool', 'chmod +x /usr/local/bin/tool'], 1],
    ['a POST whose answer goes to a file by redirect', ['curl -fsS -X POST https://x.example/tool > /tmp/tool'], 1],
    ['eval of a POST answer', ['eval "$(curl -fsS -X POST https://x.example/env)"'], 1],
    ['a shell reading a POST answer by process substitution', ['bash <(curl -fsS --data x=1 https://x.example/script)'], 1],
    ['sh -c of an API answer', ['sh -c "$(curl -fsS -d x=1 https://x.example/script)"'], 1],
    ['a POST with its answer piped through tee into a file', ['curl -fsS -X POST https://x.example/s | tee /tmp/s.sh'], 1],
    ['a GET captured in a variable that jq does not read (it may be run)', ['script=$(curl -fsSL https://x.example/s.sh)'], 1],
    ['a GET piped into jq and then into a shell', ['curl -fsSL https://x.example/a.json | jq -r .script | sh'], 1],
    ['curl installed, then run to fetch an installer into a shell', ['apt-get install -y curl && curl -fsSL https://x.example/install.sh | bash'], 1],
    ['wget --post-data that saves the answer to a file (wget does by default)', ['wget --post-data "a=1" https://x.example/tool'], 1],
    ['a GET saved with -O (remote name)', ['curl -fsSLO https://x.example/tool.tgz'], 1],
    ['a download saved then made executable (cattle: docker-machine)', ['curl --fail --retry 6 -L https://x.example/docker-machine > /tmp/docker-machine', 'chmod +x /tmp/docker-machine'], 1],
    ['the GitLab package script piped into bash (cattle)', ['curl --fail --retry 6 -L https://packages.gitlab.com/install/repositories/runner/gitlab-runner/script.rpm.sh | bash'], 1],
    // One command of the line that throws its response away does not excuse the next one, which keeps it.
    ['a discarded probe, then a download saved to a file, on one line', ['curl -fsS https://x.example/health -o /dev/null && curl -fsSL https://x.example/tool -o /usr/local/bin/tool'], 1],
    ['an API call, then a download piped into a shell, on one line', ['curl -fsS -X POST https://x.example/hook; curl -fsSL https://x.example/i.sh | sh'], 1],
  ] as const)('RF720 still: %s', (_name, lines, findings) => {
    expect(unverifiedDownloads(script(...lines))).toHaveLength(findings);
  });
  it('a download piped into a shell is one reason for its line, not also "downloads without checking"', () => {
    expect(unverifiedDownloads(script('curl -fsSL https://x.example/i.sh | sudo bash', 'curl -fsSL https://x.example/t -o /tmp/t'))).toEqual(['pipes a download into a shell (line 3: curl -fsSL https://x.example/i.sh | sudo bash)', 'downloads without checking a pinned SHA-256 (line 4: curl -fsSL https://x.example/t -o /tmp/t)']);
  });

  it('a POST saved to a file and checked against a pinned SHA-256 before use is fine, as any download', () => {
    expect(unverifiedDownloads(script('curl -fsS -X POST -o /tmp/t https://x.example/t', `echo "${SHA}  /tmp/t" | sha256sum -c -`))).toEqual([]);
  });
});

describe('a runner manager on an aws_spot_instance_request', () => {
  const spot = () => doctor(corpusFiles(join(CORPUS, 'ec2-docker-spot-instance-request')));
  it('is read as an instance is: its runner, identity and cache are proven', () => {
    const r = spot();
    expect([...r.chains.keys()]).toEqual(['docker-ci']);
    expect(r.findings.map((f) => f.code)).not.toContain('RF910');
    expect(r.proofs.find((p) => p.claim.startsWith('the manager reads its token parameter'))?.holds).toBe(true);
  });
  it('its metadata_options are not taken for applied: RF711 and RF713 say why, with a fix that works for a spot manager', () => {
    const r = spot();
    const rf711 = r.findings.find((f) => f.code === 'RF711')!;
    expect(rf711.message).toMatch(/^spot instance request aws_spot_instance_request\.runner does not require IMDSv2: a spot instance request sends no metadata options to EC2/);
    expect(rf711.fix).toContain('instance_market_options');
    const rf713 = r.findings.find((f) => f.code === 'RF713')!;
    expect(rf713.message).toContain('spot instance request aws_spot_instance_request.runner, sends no metadata options to its instance');
    expect(rf713.message).not.toContain('http_tokens not set');
    expect(rf713.fix).toContain('instance_market_options');
    expect(r.proofs.find((p) => p.claim.startsWith('job containers cannot reach the instance credentials'))?.holds).toBe(false);
  });
  it('the same manager as an aws_instance with the same metadata_options: IMDSv2 holds (the spot findings are the spot request\'s)', () => {
    const files = corpusFiles(join(CORPUS, 'ec2-docker-spot-instance-request')).map((f) => (f.path.endsWith('main.tf') ? { ...f, bytes: new TextEncoder().encode(new TextDecoder().decode(f.bytes).replace('resource "aws_spot_instance_request" "runner" {\n  spot_price             = "0.04"\n  wait_for_fulfillment   = true', 'resource "aws_instance" "runner" {')) } : f));
    const r = doctor(files);
    expect(new TextDecoder().decode(files.find((f) => f.path.endsWith('main.tf'))!.bytes)).toContain('resource "aws_instance" "runner" {');
    expect(r.findings.map((f) => f.code).filter((c) => c === 'RF711' || c === 'RF713')).toEqual([]);
    expect(r.proofs.find((p) => p.claim.startsWith('job containers cannot reach the instance credentials'))?.holds).toBe(true);
  });
});

describe('the chain proof names the manager as written', () => {
  const claim = (corpusCase: string) => doctor(corpusFiles(join(CORPUS, corpusCase))).proofs.find((p) => p.claim.startsWith('every reference resolves'))?.claim;
  it.each([
    ['ec2-docker-spot-instance-request', 'every reference resolves: instance profile ↔ manager role ↔ spot instance request ↔ user data ↔ config.toml'],
    ['ec2-docker-instance-reads-every-parameter', 'every reference resolves: instance profile ↔ manager role ↔ instance ↔ user data ↔ config.toml'],
    // A launch template keeps its words, and so does plan (the fingerprint of generated fleets is unchanged).
    ['ec2-docker-hand-written', 'every reference resolves: instance profile ↔ manager role ↔ launch template ↔ user data ↔ config.toml'],
  ])('%s', (corpusCase, expected) => {
    expect(claim(corpusCase)).toBe(expected);
  });
});

describe('RF309: a read-only host mount is said to be read-only', () => {
  const docker = (volumes: string[]) => ({ runners: [{ executor: 'docker', docker: { volumes } }] });
  const messages = (volumes: string[]) => escapeFindings(dockerHostEscapes(docker(volumes)), 'runners[0]', 'from the host a job obtains the instance role').map((f) => f.message);
  it('read-only /etc: no "changes", no "root on the host", what it reads named; still an error finding', () => {
    const [m] = messages(['/etc:/host-etc:ro']);
    expect(m).toContain("bind-mounts the host's /etc read-only: a job cannot change the files there, but reads every one of them");
    expect(m).toContain("gitlab-runner's config.toml with every runner's token");
    expect(m).not.toMatch(/changes the host|root on the host|from the host a job obtains/);
    expect(escapeFindings(dockerHostEscapes(docker(['/etc:/host-etc:ro'])), 'runners[0]', 'x')[0]?.severity).toBe('error');
  });
  it('read-only /etc/gitlab-runner (or its config.toml) names the runner tokens', () => {
    expect(messages(['/etc/gitlab-runner:/cfg:ro'])[0]).toContain("(gitlab-runner's config.toml with every runner's token, where the host runs gitlab-runner)");
    expect(messages(['/etc/gitlab-runner/config.toml:/cfg/config.toml:ro'])[0]).toContain("gitlab-runner's config.toml with every runner's token");
  });
  // Read-only mounts of public files are common (the host's time zone, its CA certificates) and harmless:
  // not an escape, not RF309. Read-write, the same paths still are.
  it.each(['/etc/localtime:/etc/localtime:ro', '/etc/ssl/certs:/etc/ssl/certs:ro', '/usr/share/zoneinfo:/usr/share/zoneinfo:ro', '/etc/gitlab-runner/certs:/etc/gitlab-runner/certs:ro', '/lib/modules:/lib/modules:ro'])('read-only %s exposes nothing: no RF309', (volume) => {
    expect(messages([volume])).toEqual([]);
    expect(messages([volume.replace(/:ro$/, '')])).toHaveLength(1);
  });
  it('options around ro (ro,z) are read-only too; rw and no options are read-write, as before', () => {
    expect(messages(['/root:/r:ro,Z'])[0]).toContain("/root read-only");
    for (const v of ['/etc:/e', '/etc:/e:rw', '/etc:/e:z']) {
      const [m] = messages([v]);
      expect(m).toContain("/etc read-write: a job reads and changes the host's own system files and with it becomes root on the host; from the host a job obtains the instance role");
    }
  });
  it('on an EC2 Docker host a read-only mount keeps jobs in their containers: RF309 where it exposes secrets, but the metadata service stays out of reach', () => {
    const withVolumes = (volumes: string) => doctor(corpusFiles(join(CORPUS, 'ec2-docker-templatefile-directives')).map((f) => (f.path === 'main.tf' ? { ...f, bytes: new TextEncoder().encode(new TextDecoder().decode(f.bytes).replace('volumes    = ["/cache"]', `volumes    = ${volumes}`)) } : f)));
    const imds = (r: ReturnType<typeof doctor>) => r.proofs.find((p) => p.claim.startsWith('job containers cannot reach the instance credentials'))?.holds;
    const ro = withVolumes('["/cache", "/etc:/host-etc:ro"]');
    expect(ro.findings.filter((f) => f.code === 'RF309').map((f) => f.message)).toEqual([expect.stringContaining("/etc read-only: a job cannot change the files there")]);
    expect(imds(ro)).toBe(true);
    const rw = withVolumes('["/cache", "/etc:/host-etc"]');
    expect(rw.findings.filter((f) => f.code === 'RF309')).toHaveLength(1);
    expect(imds(rw)).toBe(false);
    const harmless = withVolumes('["/cache", "/etc/localtime:/etc/localtime:ro"]');
    expect(harmless.findings.filter((f) => f.code === 'RF309')).toEqual([]);
    expect(harmless.proofs.every((p) => p.holds)).toBe(true);
  });
  it('read-only /dev still takes writes to its device nodes, and the Docker socket read-only still takes API calls', () => {
    expect(messages(['/dev:/dev:ro'])[0]).toContain('mounted read-only too: a device node still takes writes');
    expect(messages(['/var/run/docker.sock:/var/run/docker.sock:ro'])[0]).toContain('the socket still takes API calls');
  });
});

describe('RF716: a key pair installed on a manager', () => {
  // cmdlabs/terraform-aws-gitlab-runner-scale: `key_name = var.ssh_key_name`, default null, read as "installs key pair null".
  const withKey = (value: string) => doctor(corpusFiles(join(CORPUS, 'ec2-docker-templatefile-directives')).map((f) => (f.path === 'main.tf' ? { ...f, bytes: new TextEncoder().encode(new TextDecoder().decode(f.bytes).replace('  instance_type          = "m6i.large"\n', `  instance_type          = "m6i.large"\n  key_name               = ${value}\n`)) } : f)));
  it.each(['null', '""'])('key_name = %s installs none: no RF716', (value) => {
    expect(withKey(value).findings.filter((f) => f.code === 'RF716')).toEqual([]);
  });
  it('key_name = "ops" installs one: RF716', () => {
    expect(withKey('"ops"').findings.filter((f) => f.code === 'RF716').map((f) => f.message)).toEqual([expect.stringContaining('installs key pair "ops"')]);
  });
});

describe('RF906 on user data says why a part is unknown', () => {
  it('a %{for} over a variable without default: the directive, the variable and where it is written', () => {
    const r = doctor(corpusFiles(join(CORPUS, 'ec2-docker-templatefile-directives-unknown')));
    const m = r.findings.find((f) => f.code === 'RF906')!.message;
    expect(m).toContain('is TOML only once Terraform fills in %{~ for key, value in docker_options ~} and 3 more;');
    expect(m).toContain('the collection of %{~ for key, value in docker_options ~} is not known: var.docker_options has no default, so its value is given only when Terraform runs');
    expect(m).toMatch(/user-data\.sh\.tftpl:19:3\)/);
    expect(m).not.toContain('${%{');
  });
  // cattle-ops/terraform-aws-gitlab-runner: the launch template is in a module, whose unknown parts carry its address.
  it('the same in a module called from a root: the directive as written, without the module address inside it', () => {
    const files = corpusFiles(join(CORPUS, 'ec2-docker-templatefile-directives-unknown')).filter((f) => f.path !== 'expected.json').map((f) => ({ ...f, path: `modules/runner/${f.path}` }));
    const variable = new TextDecoder().decode(files.find((f) => f.path.endsWith('main.tf'))!.bytes).includes('variable "docker_options"');
    expect(variable).toBe(true);
    const r = doctor([...files, { path: 'main.tf', bytes: new TextEncoder().encode('module "runner" {\n  source = "./modules/runner"\n}\n') }]);
    const m = r.findings.find((f) => f.code === 'RF906' && f.message.includes('is TOML only once'))?.message;
    expect(m).toContain('is TOML only once Terraform fills in %{~ for key, value in docker_options ~} and 3 more;');
    expect(m).not.toMatch(/\$\{module\.|module\.runner\.%\{/);
  });
});

describe('RF714 speaks in the deployment\'s terms', () => {
  it('ec2-autoscaler: the worker group and the actions, never the probe\'s stand-in ARN, instance id or an empty context', () => {
    const plan = planText(readFileSync('examples/ec2-autoscaler.yaml', 'utf8'));
    const emitted = structuredClone(plan.emitted!);
    const body = emitted.terraformAws!.resource.aws_iam_role_policy!.autoscale_manager_platform!;
    const doc = JSON.parse(String(body.policy)) as PolicyDocument;
    body.policy = JSON.stringify({ ...doc, Statement: [...[doc.Statement].flat(), { Effect: 'Allow', Action: ['autoscaling:*', 'ec2-instance-connect:SendSSHPublicKey'], Resource: '*' }] });
    const f = verifyFleet(intentOf(plan.fleet!), emitted).findings.find((x) => x.code === 'RF714')!;
    const group = plan.fleet!.runners[0]!.platformNames!.workerGroup!;
    expect(f.message).toBe(`the manager role can also call autoscaling:SetDesiredCapacity on Auto Scaling groups other than its worker group ${group} (it may resize them); autoscaling:TerminateInstanceInAutoScalingGroup on Auto Scaling groups other than ${group} (it may terminate their instances); autoscaling:UpdateAutoScalingGroup on its worker group ${group} (it may change the group's launch template and limits; the fleeting plugin needs only SetDesiredCapacity and TerminateInstanceInAutoScalingGroup); ec2-instance-connect:SendSSHPublicKey on instances of Auto Scaling groups other than ${group} (it may log in to them); ec2-instance-connect:SendSSHPublicKey on instances that no aws:autoscaling:groupName tag of ${group} marks (instances of no group, the manager's own included)`);
    expect(f.message).not.toMatch(/another-group|:0123:|i-0123456789abcdef0|\{\}/);
  });
});
