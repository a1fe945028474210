import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult, type InputFile } from '../src/doctor/index.js';

/**
 * A config.toml a script builds with a heredoc and then `echo '…' >> config.toml` / `printf '…\n' |
 * tee -a config.toml` lines. Before, only the heredocs were read: what the echo lines wrote was not
 * (no RF301 for a privileged = true written so). Now each such line is one line of the file, in its
 * place among the heredocs, at its own line and column of the script. Fixtures are hand-written.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const files = (m: Record<string, string>): InputFile[] => Object.entries(m).map(([path, text]) => ({ path, bytes: enc(text) }));
const at = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);

/** Line 11: the docker table; 12 the image; 13 privileged (printf | tee -a); 14 the socket volume. */
const script = (privileged: string, target = '/etc/gitlab-runner/config.toml') => `#!/bin/bash
set -euo pipefail
cat > /etc/gitlab-runner/config.toml <<'EOT'
concurrent = 2
[[runners]]
  name = "shell-writes"
  url = "https://gitlab.example.com"
  executor = "docker"
EOT
# the docker settings, one line at a time
echo '  [runners.docker]' >> ${target}
echo "    image = 'alpine:3'" >> ${target}
printf '    privileged = ${privileged}\\n' | sudo tee -a ${target} > /dev/null
echo '    volumes = ["/cache"]' >> ${target}
systemctl restart gitlab-runner
`;

describe('echo and printf lines that append to a config.toml a heredoc wrote', () => {
  it('privileged = true by printf | tee -a: RF301 at its column of the script line', () => {
    const r = doctor(files({ 'setup.sh': script('true') }));
    expect(at(r, 'RF301').map((f) => f.path)).toEqual(['setup.sh:13:13']);
  });

  it('the passing twin: privileged = false written so says nothing', () => {
    expect(at(doctor(files({ 'setup.sh': script('false') })), 'RF301')).toEqual([]);
  });

  it('a socket volume by echo with double quotes inside single quotes: RF309 at the string', () => {
    const r = doctor(files({ 'setup.sh': script('false').replace('"/cache"', '"/var/run/docker.sock:/var/run/docker.sock"') }));
    expect(at(r, 'RF309').map((f) => f.path)).toEqual(['setup.sh:14:22']);
  });

  it('lines written to another file are not the config.toml: nothing', () => {
    expect(at(doctor(files({ 'setup.sh': script('true', '/etc/motd') })), 'RF301')).toEqual([]);
  });

  it('a line the shell expands ("$PRIV") is not known: not read, never guessed', () => {
    const text = script('true').replace(`printf '    privileged = true\\n' | sudo tee -a /etc/gitlab-runner/config.toml > /dev/null`, 'echo "    privileged = $PRIV" >> /etc/gitlab-runner/config.toml');
    expect(text).toContain('$PRIV');
    const r = doctor(files({ 'setup.sh': text }));
    expect(at(r, 'RF301')).toEqual([]);
    expect(at(r, 'RF910')[0]!.message).toContain('the settings of setup.sh were checked on their own');
  });
});
