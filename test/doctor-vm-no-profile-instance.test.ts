import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ec2RunnerRoleTf } from './helpers/doctor.js';
import { doctor, type DoctorResult } from '../src/doctor/index.js';

/**
 * Issue 50e: an EC2 manager whose chain is not built (no instance profile, RF911; a profile or role
 * not among the files, RF903) says its config.toml's RF301 and RF309 as a manager with a profile
 * does: the runner and the line named, and what a job that leaves its container takes over in its
 * platform's words, with the role as the files name it. The rules of the instance itself (its root
 * volume, RF715; what its user data downloads and whether a failed step stops the boot, RF720) do
 * not need the profile and are said too.
 */
const ROLE = ec2RunnerRoleTf;
const SAFE_BOOT = '    set -euo pipefail\n';
const PIPED = '    curl -sL https://downloads.example.com/setup.sh | bash\n';
const instance = (o: { profile?: string; encrypted: boolean; boot: string; docker?: string }) => `${ROLE}resource "aws_instance" "runner" {
  ami           = "ami-0123456789abcdef0"
  instance_type = "t3.medium"
${o.profile ?? ''}  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  root_block_device {
    encrypted = ${String(o.encrypted)}
  }
  user_data = <<-EOT
    #!/bin/bash
${o.boot}    cat > /etc/gitlab-runner/config.toml <<'EOF'
    concurrent = 1
    [[runners]]
      name = "builds"
      url = "https://gitlab.example.com"
      executor = "docker"
      [runners.docker]
        image = "alpine:3.20"
${o.docker ?? ''}    EOF
  EOT
}
`;
const ESCAPES = '        privileged = true\n        network_mode = "host"\n';
const PROFILED = '  iam_instance_profile = aws_iam_instance_profile.ci.name\n';
const run = (tf: string): DoctorResult => doctor([{ path: 'main.tf', bytes: new TextEncoder().encode(tf) }]);
const said = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code).map((f) => f.message);

describe('RF301 and RF309 of a manager whose chain is not built, said as the chain says them', () => {
  const withProfile = run(instance({ profile: PROFILED, encrypted: true, boot: SAFE_BOOT, docker: ESCAPES }));
  // The line numbers differ by the one line iam_instance_profile takes.
  const lineless = (m: string) => m.replace(/line \d+ of main\.tf/, 'line N of main.tf');

  it('no instance profile: the runner and the line named, and no role to take (config.toml and its tokens instead)', () => {
    const none = run(instance({ encrypted: true, boot: SAFE_BOOT, docker: ESCAPES }));
    const holds = "config.toml and every runner token in it (the instance has no instance profile, so no instance role)";
    expect(said(none, 'RF301')).toEqual([`runner builds, line 30 of main.tf: job containers run privileged: a job can take over the manager's instance, and with it ${holds}`]);
    expect(said(none, 'RF309')).toHaveLength(1);
    expect(said(none, 'RF309')[0]).toMatch(/^runner builds, line 31 of main\.tf: config\.toml \[runners\.docker\] network_mode = "host" puts job containers in the host's network namespace/);
    expect(said(none, 'RF309')[0]!.endsWith(`; from the host a job obtains ${holds}`)).toBe(true);
    // With the profile, the same words but the role.
    const role = "the instance role, which is the manager's (cache signing, token parameter)";
    expect(said(withProfile, 'RF301').map(lineless)).toEqual(said(none, 'RF301').map((m) => lineless(m).replace(holds, `${role}: IMDSv2 hop limit 1 does not stop a job that has left its container`)));
    expect(said(withProfile, 'RF309').map(lineless)).toEqual(said(none, 'RF309').map((m) => lineless(m).replace(holds, role)));
  });

  it('a profile not among the files given: the role is the instance profile\'s, named as written', () => {
    const elsewhere = run(instance({ profile: '  iam_instance_profile = "made-elsewhere"\n', encrypted: true, boot: SAFE_BOOT, docker: ESCAPES }));
    const role = "the instance role (instance profile \"made-elsewhere\", not among the files given), which is the manager's (cache signing, token parameter)";
    expect(said(elsewhere, 'RF301')).toEqual([`runner builds, line 31 of main.tf: job containers run privileged: a job can take over the manager's instance, and with it ${role}: IMDSv2 hop limit 1 does not stop a job that has left its container`]);
    expect(said(elsewhere, 'RF309')[0]!.endsWith(`; from the host a job obtains ${role}`)).toBe(true);
  });

  it('twin: no escapes in the config.toml, no RF301 or RF309 either way', () => {
    const r = run(instance({ encrypted: true, boot: SAFE_BOOT }));
    expect([...said(r, 'RF301'), ...said(r, 'RF309')]).toEqual([]);
  });
});

describe('the instance rules of a manager with no instance profile', () => {
  const codes = (r: DoctorResult) => r.findings.filter((f) => ['RF715', 'RF720', 'RF911'].includes(f.code)).map((f) => `${f.code} ${f.path}`);

  it('a root volume not encrypted (RF715) and a download piped into a shell with no set -euo pipefail (RF720), beside RF911', () => {
    const r = run(instance({ encrypted: false, boot: PIPED }));
    expect(codes(r)).toEqual(['RF720 main.tf:20:5', 'RF720 main.tf:21:5', 'RF715 main.tf:9:1', 'RF911 main.tf:9:1']);
    expect(said(r, 'RF715')).toEqual(['instance aws_instance.runner has a root volume that is not encrypted']);
    expect(said(r, 'RF720')[1]).toContain('pipes a download into a shell (line 21 of main.tf: curl -sL https://downloads.example.com/setup.sh | bash)');
  });

  it('the same as a manager with its profile says them', () => {
    const strip = (r: DoctorResult) => r.findings.filter((f) => f.code === 'RF715' || f.code === 'RF720').map((f) => `${f.code} ${f.message.replace(/line \d+ of/, 'line N of')}`);
    expect(strip(run(instance({ encrypted: false, boot: PIPED })))).toEqual(strip(run(instance({ profile: PROFILED, encrypted: false, boot: PIPED }))));
  });

  it('twin: an encrypted root volume and a boot under set -euo pipefail with no download: RF911 only', () => {
    expect(codes(run(instance({ encrypted: true, boot: SAFE_BOOT })))).toEqual(['RF911 main.tf:9:1']);
  });
});

describe('docker-autoscaler: a manager with no instance profile says what a job takes over on its worker', () => {
  const AUTOSCALER = readFileSync(new URL('./fixtures/hand-vm/autoscaler.tf', import.meta.url), 'utf8');
  const noProfile = AUTOSCALER.replace('  iam_instance_profile {\n    name = aws_iam_instance_profile.manager.name\n  }\n', '');
  const privileged = (tf: string) => tf.replace('        image = "alpine:3.20"\n', '        image = "alpine:3.20"\n        privileged = true\n');

  it('privileged jobs: the worker instance, as the chain says it', () => {
    expect(noProfile).not.toBe(AUTOSCALER);
    const [none] = said(run(privileged(noProfile)), 'RF301');
    const [chain] = said(run(privileged(AUTOSCALER)), 'RF301');
    expect(none).toMatch(/^runner autoscaler, line \d+ of main\.tf: job containers run privileged: a job can take over the worker instance: the jobs it runs at the same time \(capacity_per_instance\) and the ones after it \(max_use_count\)$/);
    expect(none!.replace(/line \d+/, 'line N')).toBe(chain!.replace(/line \d+/, 'line N'));
  });

  it('twin: unprivileged, no RF301', () => {
    expect(said(run(noProfile), 'RF301')).toEqual([]);
  });
});
