import { describe, expect, it } from 'vitest';
import { codesIn, doctorWalked, placeOf } from './helpers/doctor.js';

/**
 * Stop 56c: a config.toml kept as a template whose placeholders a start script fills with sed (or
 * envsubst) before the runner reads it (64mb/docker-gitlab-runner: `concurrent =
 * {RUNNER_CONCURRENT_JOB_COUNT}`, filled by run.sh). The placeholder is a value to come, not a TOML
 * error: the file is read as a config.toml alone, the placeholder's key left out, and an RF903 info
 * where the key is one the checks read. Without a script that fills it, RF901 stays.
 */

const TEMPLATE = `concurrent = {RUNNER_CONCURRENT_JOB_COUNT}
check_interval = 0

[[runners]]
  name = "{RUNNER_NAME}"
  url = "{RUNNER_URL}"
  token = "{RUNNER_TOKEN}"
  executor = "docker"
  [runners.docker]
    image = "alpine:3.22"
    privileged = true
`;
const RUN_SH = `#!/bin/bash
RUNNER_CONFIG="$(cat /home/gitlab-runner/config.toml)"
RUNNER_CONFIG=$(echo "\${RUNNER_CONFIG}" | sed 's|{RUNNER_CONCURRENT_JOB_COUNT}|'\${RUNNER_CONCURRENT_JOB_COUNT}'|')
echo "\${RUNNER_CONFIG}" >/etc/gitlab-runner/config.toml
gitlab-runner run --user=gitlab-runner --working-directory=/home/gitlab-runner
`;

describe('a config.toml template a script fills with sed', () => {
  it('filled by run.sh: no RF901, the file read as a config.toml alone (its privileged job is RF301 at its line)', () => {
    const r = doctorWalked({ 'repo/config.toml': TEMPLATE, 'repo/run.sh': RUN_SH });
    expect(codesIn(r, 'RF901')).toEqual([]);
    expect(codesIn(r, 'RF301').map((f) => f.path)).toEqual([placeOf('repo/config.toml', TEMPLATE, 'privileged')]);
    // concurrent is no key the checks read: no info for it.
    expect(codesIn(r, 'RF903').filter((f) => f.message.includes('RUNNER_CONCURRENT_JOB_COUNT'))).toEqual([]);
  });

  it('without the script (or one that fills another placeholder, or names no config.toml), RF901 stays at the placeholder', () => {
    const at = 'repo/config.toml:1:42'; // where smol-toml stops on the line
    expect(codesIn(doctorWalked({ 'repo/config.toml': TEMPLATE }), 'RF901').map((f) => f.path)).toEqual([at]);
    expect(codesIn(doctorWalked({ 'repo/config.toml': TEMPLATE, 'repo/run.sh': RUN_SH.replace("s|{RUNNER_CONCURRENT_JOB_COUNT}|", "s|{OTHER}|") }), 'RF901').map((f) => f.path)).toEqual([at]);
    expect(codesIn(doctorWalked({ 'repo/config.toml': TEMPLATE, 'repo/run.sh': RUN_SH.replaceAll('config.toml', 'runner.conf') }), 'RF901').map((f) => f.path)).toEqual([at]);
  });

  it('a placeholder on a key the checks read (privileged = {PRIVILEGED}, sed -i): RF903 info at it, the key left out (no RF301 guessed)', () => {
    const toml = TEMPLATE.replace('privileged = true', 'privileged = {PRIVILEGED}');
    const script = `#!/bin/sh\nsed -i "s/{RUNNER_CONCURRENT_JOB_COUNT}/$N/; s/{PRIVILEGED}/$PRIV/" /etc/gitlab-runner/config.toml\nexec gitlab-runner run\n`;
    const r = doctorWalked({ 'repo/config.toml': toml, 'repo/start.sh': script });
    expect(codesIn(r, 'RF901')).toEqual([]);
    expect(codesIn(r, 'RF301')).toEqual([]);
    const info = codesIn(r, 'RF903').filter((f) => f.message.includes('{PRIVILEGED}'));
    expect(info.map((f) => [f.path, f.severity])).toEqual([[placeOf('repo/config.toml', toml, '{PRIVILEGED}'), 'info']]);
    expect(info[0]!.message).toContain('repo/start.sh:2 fills with sed');
  });

  it('envsubst over the file fills its ${VAR} references', () => {
    const toml = TEMPLATE.replace('{RUNNER_CONCURRENT_JOB_COUNT}', '${CONCURRENT}');
    const script = '#!/bin/sh\nenvsubst < /templates/config.toml > /etc/gitlab-runner/config.toml\nexec gitlab-runner run\n';
    expect(codesIn(doctorWalked({ 'repo/config.toml': toml }), 'RF901')).toHaveLength(1);
    const r = doctorWalked({ 'repo/config.toml': toml, 'repo/entrypoint.sh': script });
    expect(codesIn(r, 'RF901')).toEqual([]);
    expect(codesIn(r, 'RF301').map((f) => f.path)).toEqual([placeOf('repo/config.toml', toml, 'privileged')]);
  });
});
