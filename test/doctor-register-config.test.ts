import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { registerCommands } from '../src/doctor/register-command.js';
import { join } from 'node:path';
import { corpusFiles } from './helpers/doctor.js';
import { mergeTemplate, registerConfig, SECRET_NOT_SHOWN } from '../src/doctor/register-config.js';
import { assignedInForce } from '../src/doctor/shell-vars.js';

/**
 * `gitlab-runner register` flags → the [[runners]] entry gitlab-runner writes into config.toml
 * (flag names from the `long:` tags of common/config.go and cache/cacheconfig/cacheconfig.go under
 * their namespaces; what register adds and how a template merges from commands/register.go).
 */
const config = (script: string) => {
  const [c] = registerCommands('boot.sh', script);
  return registerConfig(c!, assignedInForce(script, c!.at));
};
const entry = (script: string) => (config(script).toml.runners as Record<string, unknown>[])[0];

describe('register flags as a config.toml entry', () => {
  it('each flag at its key: runner, Docker and S3 cache settings (gitlab-runner spellings: authentication_type, services_privileged)', () => {
    const script = [
      'gitlab-runner register --non-interactive --url https://gitlab.example.com --token "$TOKEN" --name ci-1 --executor docker \\',
      '  --limit 4 --request-concurrency 2 --env A=1 --env B=2 --docker-image alpine:3.22 --docker-privileged --docker-services_privileged=false \\',
      '  --docker-volumes /certs --docker-volumes /var/run/docker.sock:/var/run/docker.sock --docker-cap-add NET_ADMIN --docker-devices /dev/kvm --docker-pull-policy always \\',
      '  --cache-type s3 --cache-shared --cache-path ci --cache-s3-server-address s3.amazonaws.com --cache-s3-bucket-name b --cache-s3-bucket-location eu-west-1 \\',
      '  --cache-s3-authentication_type iam --cache-s3-server-side-encryption KMS --cache-s3-server-side-encryption-key-id alias/ci',
    ].join('\n');
    expect(config(script).toml).toEqual({
      concurrent: 1,
      runners: [
        {
          url: 'https://gitlab.example.com',
          token: '$TOKEN',
          name: 'ci-1',
          executor: 'docker',
          limit: 4,
          request_concurrency: 2,
          environment: ['A=1', 'B=2'],
          docker: { image: 'alpine:3.22', privileged: true, services_privileged: false, volumes: ['/certs', '/var/run/docker.sock:/var/run/docker.sock', '/cache'], cap_add: ['NET_ADMIN'], devices: ['/dev/kvm'], pull_policy: ['always'] },
          cache: { Type: 's3', Shared: true, Path: 'ci', s3: { ServerAddress: 's3.amazonaws.com', BucketName: 'b', BucketLocation: 'eu-west-1', AuthenticationType: 'iam', ServerSideEncryption: 'KMS', ServerSideEncryptionKeyID: 'alias/ci' } },
        },
      ],
    });
    expect(config(script).unknown).toEqual([]);
  });

  it('--flag=value and --flag value, quotes, line continuations; --description is the name; /cache is added only when no volume ends there', () => {
    const r = entry("gitlab-runner register \\\n  --executor=docker \\\n  --description 'my runner' \\\n  --docker-image=\"ruby:3.3\" --docker-volumes /data:/cache\n");
    expect(r).toEqual({ executor: 'docker', name: 'my runner', docker: { image: 'ruby:3.3', volumes: ['/data:/cache'] } });
    expect(entry('gitlab-runner register --executor docker --docker-disable-cache')).toEqual({ executor: 'docker', docker: { disable_cache: true } });
  });

  it('where each key was written: the flag that set it, else the command', () => {
    const script = 'gitlab-runner register --executor docker --docker-volumes /a --docker-volumes /b --cache-s3-bucket-name b';
    const c = config(script);
    expect(c.at(['docker', 'volumes', 1])).toBe(script.indexOf('--docker-volumes /b'));
    expect(c.at(['cache', 's3', 'BucketName'])).toBe(script.indexOf('--cache-s3-bucket-name'));
    expect(c.at(['docker', 'privileged'])).toBe(0);
  });

  it('$VAR: a value the script set before is read; one only boot knows is kept for url/name/token and is unknown elsewhere', () => {
    const script = 'BUCKET="ci-cache"\nexport REGION=eu-west-1\nTOKEN=$(aws ssm get-parameter --name /t)\ngitlab-runner register --executor docker --url "$URL" --token "${TOKEN}" --cache-s3-bucket-name "$BUCKET" --cache-s3-bucket-location ${REGION} --docker-image "$IMAGE"\n';
    const c = config(script);
    expect(get(c, 'url')).toBe('$URL');
    expect(get(c, 'token')).toBe('${TOKEN}');
    expect((get(c, 'cache') as { s3: unknown }).s3).toEqual({ BucketName: 'ci-cache', BucketLocation: 'eu-west-1' });
    expect(c.unknown.map((u) => [u.flag, u.value])).toEqual([['docker-image', '$IMAGE']]);
  });

  it('a literal token or S3 key is a stand-in, never the value', () => {
    const c = config('gitlab-runner register --executor docker --token glrt-abcdefghijklmnopqrstu --cache-s3-secret-key wJalrXUtnFEMI/K7MDENG');
    expect(JSON.stringify(c.toml)).not.toMatch(/glrt-|wJalr/);
    expect(get(c, 'token')).toBe(SECRET_NOT_SHOWN);
  });

  it('--template-config: the template fills what the flags leave empty (a false privileged too), the flags keep what they set, its token is dropped', () => {
    const c = config('gitlab-runner register --executor docker --docker-image alpine --docker-privileged=false --template-config /etc/t.toml');
    expect(c.templateConfig?.file).toBe('/etc/t.toml');
    const merged = mergeTemplate(c, { token: 'x', docker: { image: 'ubuntu', privileged: true, volumes: ['/v'] }, cache: { Type: 's3', s3: { BucketName: 'tb' } } });
    expect((merged.toml.runners as unknown[])[0]).toEqual({ executor: 'docker', docker: { image: 'alpine', privileged: true, volumes: ['/v', '/cache'] }, cache: { Type: 's3', s3: { BucketName: 'tb' } } });
  });
});

function get(c: ReturnType<typeof config>, key: string): unknown {
  return (c.toml.runners as Record<string, unknown>[])[0]![key];
}

const enc = (s: string) => new TextEncoder().encode(s);
const files = (m: Record<string, string>): InputFile[] => Object.entries(m).map(([path, text]) => ({ path, bytes: enc(text) }));
const MANAGER = () => `resource "aws_iam_role" "r" {\n  name = "runner"\n  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }] })\n}\nresource "aws_iam_instance_profile" "r" {\n  name = "runner"\n  role = aws_iam_role.r.name\n}\nresource "aws_launch_template" "r" {\n  name = "runner"\n  iam_instance_profile { name = aws_iam_instance_profile.r.name }\n  metadata_options {\n    http_tokens = "required"\n    http_put_response_hop_limit = 1\n  }\n  user_data = filebase64("\${path.module}/boot.sh")\n}\n`;

describe('assignments that always run before the command (assignedInForce)', () => {
  const vars = (script: string) => Object.fromEntries(assignedInForce(script, script.indexOf('gitlab-runner register')));
  it('top level, and in the block that also holds the command: known', () => {
    expect(vars('A=1\nexport B="two"\nif true; then\n  C=3\n  gitlab-runner register --executor docker\nfi\n')).toEqual({ A: '1', B: 'two', C: '3' });
    expect(vars('for i in 1 2; do\n  D=4\n  gitlab-runner register --executor docker\ndone\n')).toEqual({ D: '4' });
  });
  it('in one branch of an if or a case, in a function body, after && or ||, in a subshell, in a %{ if }: not known, nor a top-level value such a branch may replace', () => {
    expect(vars('if [ -n "$X" ]; then\n  A=1\nelse\n  B=2\nfi\ngitlab-runner register --executor docker\n')).toEqual({});
    expect(vars('if [ -n "$X" ]; then\n  A=1\nelif true; then\n  gitlab-runner register --executor docker\nfi\n')).toEqual({});
    expect(vars('A=0\ncase "$ENV" in\n  prod)\n    A=1\n    ;;\n  *) B=2 ;;\nesac\ngitlab-runner register --executor docker\n')).toEqual({});
    expect(vars('setup() {\n  A=1\n}\nfunction other {\n  B=2\n}\ngitlab-runner register --executor docker\n')).toEqual({});
    expect(vars('[ -f /etc/x ] && A=1\ntrue || B=2\n( C=3 )\nD=4 env\ngitlab-runner register --executor docker\n')).toEqual({});
    expect(vars('%{ if var.prod }\nA=1\n%{ endif }\ngitlab-runner register --executor docker\n')).toEqual({});
    expect(vars('while read l; do\n  A=1\ndone < f\nB=1\nB=$(cat /etc/b)\ngitlab-runner register --executor docker\n')).toEqual({});
  });
  it('a heredoc body is data: a NAME=value line in it assigns nothing, and its if/fi words open no block', () => {
    expect(vars("cat > /etc/x.sh <<'EOF'\nA=1\nif true; then\nEOF\nB=2\ngitlab-runner register --executor docker\n")).toEqual({ B: '2' });
  });
});

describe('the doctor over a manager rebuilt from its register flags', () => {
  it('a template written by the same user data is merged: what it sets is proven, at the --template-config flag', () => {
    const boot = "#!/bin/bash\ncat > /etc/gitlab-runner/template.toml <<'EOF'\n[[runners]]\n  [runners.docker]\n    privileged = true\nEOF\ngitlab-runner register --non-interactive --url https://gitlab.example.com --token \"$TOKEN\" --executor docker --docker-image alpine --template-config /etc/gitlab-runner/template.toml\n";
    const r = doctor(files({ 'main.tf': MANAGER(), 'boot.sh': boot }));
    expect(r.findings.filter((f) => f.code === 'RF301').map((f) => f.path)).toEqual(['boot.sh:7:132']);
    expect(r.findings.map((f) => f.code)).not.toContain('RF906');
  });

  it('a value only boot knows that a proof reads: RF906 at that flag, the runner not proven', () => {
    const boot = 'gitlab-runner register --url https://g.example.com --token "$TOKEN" --executor docker --docker-image alpine --cache-type s3 --cache-s3-bucket-name "$(cat /etc/bucket)"\n';
    const r = doctor(files({ 'main.tf': MANAGER(), 'boot.sh': boot }));
    expect(r.findings.filter((f) => f.code === 'RF906').map((f) => f.path)).toEqual(['boot.sh:1:125']);
    expect(r.proofs).toEqual([]);
  });

  it('a bucket name set in one branch of an if only: known only at boot, RF906 at the flag, not proven', () => {
    const boot = 'if [ "$ENV" = prod ]; then\n  BUCKET=ci-cache-prod\nfi\ngitlab-runner register --url https://g.example.com --token "$TOKEN" --executor docker --docker-image alpine --cache-type s3 --cache-s3-bucket-name "$BUCKET"\n';
    const r = doctor(files({ 'main.tf': MANAGER(), 'boot.sh': boot }));
    expect(r.findings.filter((f) => f.code === 'RF906').map((f) => [f.path, /--cache-s3-bucket-name "\$BUCKET" is known only at boot/.test(f.message)])).toEqual([['boot.sh:4:125', true]]);
    expect(r.proofs).toEqual([]);
  });

  it('the Docker socket and a capability from the flags are said once each, at the flag, by a manager that is proven', () => {
    const boot = 'gitlab-runner register --url https://g.example.com --token "$TOKEN" --executor docker --docker-image alpine --docker-volumes /var/run/docker.sock:/var/run/docker.sock --docker-cap-add SYS_ADMIN\n';
    const r = doctor(files({ 'main.tf': MANAGER(), 'boot.sh': boot }));
    expect(r.proofs.length).toBeGreaterThan(0);
    const at = r.findings.filter((f) => f.code === 'RF309').map((f) => f.path);
    expect(at.length).toBe(new Set(at).size);
    expect(new Set(at)).toEqual(new Set(['boot.sh:1:109', 'boot.sh:1:168']));
  });
});

describe('executors whose settings no register flag gives', () => {
  const AUTOSCALER = 'gitlab-runner register --url https://g.example.com --token "$TOKEN" --executor docker-autoscaler --docker-image alpine';
  it('docker-autoscaler without a template: RF906 at --executor (its [runners.autoscaler] has no flag), not proven', () => {
    const r = doctor(files({ 'main.tf': MANAGER(), 'boot.sh': `${AUTOSCALER}\n` }));
    expect(r.findings.filter((f) => f.code === 'RF906').map((f) => f.path)).toEqual(['boot.sh:1:69']);
    expect(r.proofs).toEqual([]);
  });

  it('docker-autoscaler with its template among the files given: read as a manager, [runners.autoscaler] from the template', () => {
    const template = '[[runners]]\n  [runners.autoscaler]\n    plugin = "aws:latest"\n    max_instances = 4\n    [runners.autoscaler.plugin_config]\n      name = "ci-workers"\n';
    const r = doctor(files({ 'main.tf': MANAGER(), 'boot.sh': `${AUTOSCALER} --template-config /etc/gitlab-runner/autoscaler.toml\n`, 'autoscaler.toml': template }));
    expect(r.findings.map((f) => f.code)).not.toContain('RF906');
    expect(r.proofs.some((p) => /workers of group ci-workers/.test(p.claim))).toBe(true);
  });

  it('a custom executor without its driver configuration in the user data: RF906, not proven', () => {
    const r = doctor(files({ 'main.tf': MANAGER(), 'boot.sh': 'gitlab-runner register --url https://g.example.com --token "$TOKEN" --executor custom --custom-run-exec /opt/fargate --custom-run-args custom --custom-run-args run\n' }));
    expect(r.findings.filter((f) => f.code === 'RF906').map((f) => f.path)).toEqual(['boot.sh:1:69']);
  });
});

describe('the register flag reader', () => {
  it("--docker-services_privileged (gitlab-runner's spelling) is RF301 at the flag", () => {
    const r = doctor(files({ 'boot.sh': 'gitlab-runner register --executor docker --docker-services_privileged --docker-image alpine\n' }));
    expect(r.findings.filter((f) => f.code === 'RF301').map((f) => f.path)).toEqual(['boot.sh:1:42']);
  });
});

describe('corpus ec2-docker-register-flags: the proofs of a manager rebuilt from its flags', () => {
  it('all seven hold (identity, token parameter, IMDS, cache), no "no runner manager", the cache bucket at --cache-s3-bucket-name', () => {
    const r = doctor(corpusFiles(join(import.meta.dirname, 'doctor', 'corpus', 'ec2-docker-register-flags')));
    expect(r.proofs.map((p) => p.holds)).toEqual([true, true, true, true, true, true, true]);
    expect(r.findings.map((f) => f.code)).not.toContain('RF910');
    expect(r.findings.filter((f) => f.code === 'RF208').map((f) => f.path)).toEqual(['user-data.sh:14:3']);
  });
});

/** A manager role, its instance profile and the head of a launch template whose user data (a heredoc) the tests end. */
const MANAGER_HEAD = [
  'variable "runner_token" {}',
  'resource "aws_iam_role" "r" {',
  '  name = "runner"',
  '  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }] })',
  '}',
  'resource "aws_iam_instance_profile" "r" {',
  '  name = "runner"',
  '  role = aws_iam_role.r.name',
  '}',
  'resource "aws_launch_template" "r" {',
  '  name = "runner"',
  '  iam_instance_profile { name = aws_iam_instance_profile.r.name }',
  '  user_data = base64encode(<<-EOT',
  '    #!/bin/bash',
];

describe('a register command in a Terraform heredoc', () => {
  it('--token ${var.runner_token}: RF712 at the --token flag in the .tf file (Terraform writes the token into the user data); the cache at its flag', () => {
    const tf = [
      ...MANAGER_HEAD,
      '    gitlab-runner register --non-interactive --url https://gitlab.example.com \\',
      '      --token ${var.runner_token} --executor docker --docker-image alpine \\',
      '      --cache-type s3 --cache-s3-bucket-name ci-cache --cache-s3-bucket-location eu-west-1',
      '  EOT',
      '  )',
      '}',
      '',
    ].join('\n');
    const r = doctor(files({ 'main.tf': tf }));
    const rf712 = r.findings.filter((f) => f.code === 'RF712');
    expect(rf712.map((f) => f.path)).toEqual(['main.tf:16:7']);
    expect(rf712[0]!.message).toMatch(/the `gitlab-runner register` command in the user data of aws_launch_template\.r passes --token "\$\{var\.runner_token\}"/);
    expect(r.findings.filter((f) => f.code === 'RF208').map((f) => f.path)).toEqual(['main.tf:17:23']);
  });
});

describe('a config.toml of global settings only, then register', () => {
  it('register appends its entry to the config.toml the user data wrote: the manager is read, its flags located', () => {
    const boot = "#!/bin/bash\ncat > /etc/gitlab-runner/config.toml <<'EOF'\nconcurrent = 4\ncheck_interval = 3\nEOF\ngitlab-runner register --non-interactive --url https://gitlab.example.com --token \"$TOKEN\" --executor docker --docker-image alpine --docker-privileged\n";
    const r = doctor(files({ 'main.tf': MANAGER(), 'boot.sh': boot }));
    expect(r.proofs.length).toBeGreaterThan(0);
    expect(r.findings.map((f) => f.code)).not.toContain('RF910');
    expect(r.findings.filter((f) => f.code === 'RF301').map((f) => f.path)).toEqual(['boot.sh:6:132']);
  });
});

describe('the cache RF201 of a VM manager whose role lacks the cache grant: at the config.toml key that names the bucket', () => {
  const CACHE = ['[runners.cache]', '  Type = "s3"', '  Path = "ci"', '  [runners.cache.s3]', '    BucketName = "ci-cache"', '    BucketLocation = "eu-west-1"', '    AuthenticationType = "iam"'];
  it('a register manager: at --cache-s3-bucket-name (before: at the launch template)', () => {
    const boot = 'gitlab-runner register --url https://g.example.com --token "$TOKEN" --executor docker --docker-image alpine \\\n  --cache-type s3 --cache-path ci --cache-s3-bucket-name ci-cache --cache-s3-bucket-location eu-west-1 --cache-s3-authentication_type iam\n';
    const r = doctor(files({ 'main.tf': MANAGER(), 'boot.sh': boot }));
    expect(r.findings.filter((f) => f.code === 'RF201').map((f) => f.path)).toEqual(['boot.sh:2:35']);
  });
  it('a config.toml heredoc in the user data: at its line of boot.sh (before: at the launch template, no line; before 30b: at the user data, its rendered line named)', () => {
    const boot = ["cat > /etc/gitlab-runner/config.toml <<'EOF'", 'concurrent = 1', '[[runners]]', '  name = "ci"', '  url = "https://g.example.com"', '  token = "$TOKEN"', '  executor = "docker"', '  [runners.docker]', '    image = "alpine"', ...CACHE.map((l) => `  ${l}`), 'EOF', ''].join('\n');
    const r = doctor(files({ 'main.tf': MANAGER(), 'boot.sh': boot }));
    const rf201 = r.findings.filter((f) => f.code === 'RF201');
    expect(rf201.map((f) => f.path)).toEqual(['boot.sh:14:7']);
    expect(rf201[0]!.message).toMatch(/line 14 of boot\.sh/);
  });
});

describe('the token of a register manager, said as it is', () => {
  const TF = (flag: string) => [
    ...MANAGER_HEAD,
    `    gitlab-runner register --non-interactive --url https://gitlab.example.com --${flag} \${var.runner_token} --executor docker --docker-image alpine`,
    '  EOT',
    '  )',
    '}',
    '',
  ].join('\n');
  it('RF712 of a register manager: the fix passes the fetched token to gitlab-runner register, not "into config.toml"; with --registration-token it names the registration token', () => {
    const withToken = doctor(files({ 'main.tf': TF('token') })).findings.find((f) => f.code === 'RF712')!;
    expect(withToken.message).toContain('passes --token "${var.runner_token}", so Terraform writes the runner token into the user data');
    expect(withToken.fix).toMatch(/aws ssm get-parameter --with-decryption\) and pass it to gitlab-runner register --token$/);
    const withRegistration = doctor(files({ 'main.tf': TF('registration-token') })).findings.find((f) => f.code === 'RF712')!;
    expect(withRegistration.message).toContain('passes --registration-token "${var.runner_token}", so Terraform writes the registration token');
    expect(withRegistration.fix).toMatch(/and pass it to gitlab-runner register --registration-token$/);
    expect(withRegistration.fix).not.toContain('config.toml');
  });
  it('a short flag is named as the command writes it (-r, not --registration-token)', () => {
    const short = doctor(files({ 'main.tf': TF('registration-token').replace('--registration-token ${var.runner_token}', '-r ${var.runner_token}') })).findings.find((f) => f.code === 'RF712')!;
    expect(short.message).toContain('passes -r "${var.runner_token}", so Terraform writes the registration token');
    expect(short.fix).toMatch(/and pass it to gitlab-runner register -r$/);
  });
  it('-r "$TOKEN" from a parameter not given: the note names -r as written', () => {
    const boot = 'TOKEN=$(aws ssm get-parameter --name /ci/reg --with-decryption --query Parameter.Value --output text)\ngitlab-runner register --non-interactive --url https://g.example.com -r "$TOKEN" --executor docker --docker-image alpine\n';
    const f = doctor(files({ 'main.tf': MANAGER(), 'boot.sh': boot })).findings.find((x) => x.code === 'RF903' && x.message.includes('keeps its runner token'));
    expect(f?.message).toContain('registers with -r $TOKEN, which the user data sets at boot from parameter /ci/reg');
  });
  it('--registration-token $VAR from a parameter not given: the note says config.toml holds the token GitLab answers with, not that it takes it from $VAR', () => {
    const boot = 'TOKEN=$(aws ssm get-parameter --name /ci/reg --with-decryption --query Parameter.Value --output text)\ngitlab-runner register --non-interactive --url https://g.example.com --registration-token "$TOKEN" --executor docker --docker-image alpine\n';
    const f = doctor(files({ 'main.tf': MANAGER(), 'boot.sh': boot })).findings.find((x) => x.code === 'RF903' && x.message.includes('keeps its runner token'));
    expect(f?.message).toContain('registers with --registration-token $TOKEN, which the user data sets at boot from parameter /ci/reg, which no aws_ssm_parameter among the files given declares; the runner token config.toml then holds is the one GitLab answers with, kept on the instance only');
    expect(f?.message).not.toContain('takes the token from');
  });
});
