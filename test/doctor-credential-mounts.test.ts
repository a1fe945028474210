import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { registerCommands } from '../src/doctor/register-command.js';
import { credentialMount, dockerHostEscapes } from '../src/verify/docker-escape.js';
import { handWrittenDockerVm } from './helpers/doctor.js';

/**
 * RF945: a Docker volume that puts a cloud credentials file or folder in every job container
 * (`--docker-volumes "$CREDS:/root/.aws/credentials:ro"`, `[runners.docker] volumes`): every job
 * holds those long-lived credentials. Seen in a public repository that mounts an AWS shared
 * credentials file into its jobs for Docker-in-Docker. A host path under /root is RF309 already
 * (a way to the host's own files) and not said twice.
 */

const file = (path: string, text: string): InputFile => ({ path, bytes: new TextEncoder().encode(text) });
const codes = (files: InputFile[]) => doctor(files).findings.filter((f) => f.code === 'RF945' || f.code === 'RF309');

describe('credentialMount: which volumes hand jobs cloud credentials', () => {
  it('by the container side (whatever fills in the host side), or by the host side', () => {
    expect(credentialMount('$CREDS:/root/.aws/credentials:ro')).toBe('the AWS shared credentials (/root/.aws/credentials)');
    expect(credentialMount('/home/ci/.aws:/root/.aws')).toBe('the AWS shared credentials (/root/.aws)');
    expect(credentialMount('/srv/keys/gcloud:/root/.config/gcloud:ro')).toMatch(/^the Google Cloud CLI's credentials/);
    expect(credentialMount('/srv/adc/application_default_credentials.json:/tmp/adc.json:ro')).toMatch(/^the Google Cloud CLI's credentials \(\/srv\/adc\/application_default_credentials\.json\)$/);
    expect(credentialMount('/home/ci/.azure:/home/runner/.azure')).toMatch(/^the Azure CLI's signed-in tokens/);
  });

  it('not a cache, a certificate folder, the AWS config alone, an anonymous volume, or a folder merely named like one', () => {
    for (const v of ['/srv/cache:/cache', '/certs/client', '$PWD/certs:/certs/client', '/home/ci/.aws/config:/root/.aws/config:ro', '/srv/aws-cache:/cache/aws', '/srv/.awsome:/data']) expect(credentialMount(v), v).toBeUndefined();
  });
});

describe('RF945 in the doctor', () => {
  it('a config.toml given alone: a credentials mount is RF945 at its entry; a cache mount nothing; /root/.aws from the host stays RF309 alone', () => {
    const toml = `concurrent = 1
[[runners]]
  name = "docker"
  url = "https://gitlab.example.com"
  executor = "docker"
  [runners.docker]
    image = "alpine:3.22"
    volumes = ["/srv/cache:/cache", "/home/ci/.aws:/root/.aws:ro", "/root/.aws:/root/.aws:ro"]
`;
    const found = codes([file('config.toml', toml)]);
    expect(found.map((f) => `${f.code} ${f.path}`)).toEqual(['RF945 config.toml:8:37', 'RF309 config.toml:8:68']);
    expect(found[0]!.message).toContain('bind-mounts the AWS shared credentials (/root/.aws) into every job container');
    expect(found[0]!.fix).toMatch(/^remove the mount; a job that needs the cloud gets a keyless identity of its own/);
    // The classification itself: the credentials mount is marked so, the /root one is an escape.
    expect(dockerHostEscapes({ runners: [{ docker: { volumes: ['/home/ci/.aws:/root/.aws:ro', '/root/.aws:/root/.aws:ro'] } }] }).map((e) => e.credentials === true)).toEqual([true, false]);
  });

  it('gitlab-runner register --docker-volumes with a variable host side: RF945 at the flag', () => {
    const script = `#!/bin/sh
gitlab-runner register --non-interactive --url https://gitlab.example.com --token "$RUNNER_TOKEN" \\
  --executor docker --docker-image alpine:3.22 \\
  --docker-volumes "$PWD/cache:/cache" \\
  --docker-volumes "$RUNNER_CREDENTIALS_FILE:/root/.aws/credentials:ro"
`;
    const found = codes([file('register.sh', script)]);
    expect(found.map((f) => `${f.code} ${f.path} ${f.received}`)).toEqual(['RF945 register.sh:5:3 $RUNNER_CREDENTIALS_FILE:/root/.aws/credentials:ro']);
  });

  it('gitlab-runner register --docker-volumes is classified as config.toml volumes are: host folders RF309 (root\'s /root/.aws included), credentials RF945, harmless mounts nothing', () => {
    const script = `#!/bin/sh
gitlab-runner register --non-interactive --url https://gitlab.example.com --token "$RUNNER_TOKEN" \\
  --executor docker --docker-image alpine:3.22 \\
  --docker-volumes /root/.aws:/root/.aws \\
  --docker-volumes /etc:/host/etc \\
  --docker-volumes /var/run/docker.sock:/var/run/docker.sock \\
  --docker-volumes /etc/ssl/certs:/etc/ssl/certs:ro \\
  --docker-volumes /cache \\
  --docker-volumes /opt/ci/gcloud:/root/.config/gcloud:ro \\
  --docker-volumes "$SOCKET_DIR:/var/run"
`;
    const found = codes([file('register.sh', script)]);
    expect(found.map((f) => `${f.code} ${f.path} ${f.received}`)).toEqual([
      'RF309 register.sh:4:3 /root/.aws:/root/.aws',
      'RF309 register.sh:5:3 /etc:/host/etc',
      'RF309 register.sh:6:3 /var/run/docker.sock:/var/run/docker.sock',
      'RF945 register.sh:9:3 /opt/ci/gcloud:/root/.config/gcloud:ro',
    ]);
    // One rule for both places: the message says what config.toml's volumes entry would, and its fix names the flag.
    expect(found[0]!.message).toMatch(/^gitlab-runner register --docker-volumes \/root\/\.aws:\/root\/\.aws bind-mounts the host's \/root\/\.aws read-write: .*; from the host a job takes what the host holds/);
    expect(found[2]!.message).toContain('the Docker API of the host');
    expect(found[0]!.fix).toBe('remove --docker-volumes /root/.aws:/root/.aws; for Docker builds build images with a daemonless builder (BuildKit rootless, kaniko, buildah) instead');
  });

  it('an EC2 manager whose config.toml mounts credentials: said once, at its line in the user data', () => {
    const files = handWrittenDockerVm({ folder: 'vm', ciStatements: [], deployPolicy: '{}', config: '    volumes = ["/opt/ci/aws:/root/.aws:ro"]\n' });
    const found = codes(files);
    expect(found.map((f) => f.code)).toEqual(['RF945']);
    expect(found[0]!.message).toContain('/root/.aws');
  });
});

describe('a comment in backquotes between the lines of a long register command', () => {
  it('runs nothing and expands to no word: the flags after it are read', () => {
    const script = 'gitlab-runner register --executor docker \\\n  `# Required for DinD.` \\\n  --docker-privileged \\\n  \\\n  `# Credentials, read-only:` \\\n  --docker-volumes "$CREDS:/root/.aws/credentials:ro"\n';
    expect(registerCommands('boot.sh', script).map((c) => c.flags.map((f) => f.name))).toEqual([['executor', 'docker-privileged', 'docker-volumes']]);
    // A backquoted command that is no comment stays a word (it runs and prints something).
    expect(registerCommands('boot.sh', 'gitlab-runner register --executor docker --name `hostname` --docker-privileged\n').map((c) => c.flags.map((f) => f.name))).toEqual([['executor', 'description', 'docker-privileged']]);
  });
});
