import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { registerCommands } from '../src/doctor/register-command.js';
import { join } from 'node:path';
import { corpusFiles } from './helpers/doctor.js';

/**
 * How the `gitlab-runner register` reader reads a command line (task 29b): what a shell never runs
 * (a comment), and which words gitlab-runner takes for flags.
 *
 * Facts, with their sources:
 * - RUN `go.mod` (gitlabhq/gitlab-runner d79f3e7b8, 2026-08-22): `github.com/urfave/cli v1.22.17`.
 *   RUN `common/command.go` NewCommand builds register's `cli.Command` with Name, Usage, Action and
 *   Flags only: `SkipArgReorder` stays false (no file of RUN sets it).
 * - urfave/cli v1.22.17 `command.go` (urfave/cli tag v1.22.17), Command.parseFlags: unless
 *   SkipArgReorder, `args = reorderArgs(c.Flags, args)`, then Go's `flag.FlagSet.Parse` (through
 *   parseIter). reorderArgs moves each argument that argIsFlag (starts with `-`, is not `-` or `--`,
 *   names one of the command's flags) before the others, with the argument after it when that one is
 *   not a flag and the flag has no `=` (`nextIndexMayContainValue`, set for boolean flags too); at
 *   `--` it stops, and puts `--` first among the other arguments.
 * - Go `flag` (FlagSet.parseOne): parsing stops at the first argument that does not start with `-`
 *   (or is `-`), and at `--`; a boolean flag takes a value only as `-flag=value`; another flag takes
 *   the next argument, whatever it is; `-flag` and `--flag` are the same.
 * - RUN `commands/register.go` and `common/config.go`: the short names `-c` (config), `-n`
 *   (non-interactive), `-r` (registration-token), `-u` (url), `-t` (token); `--locked`,
 *   `--run-untagged`, `--paused`, `--non-interactive` are `bool` fields.
 * So a stray word before a flag does not stop it (`register foo --docker-privileged` sets
 * privileged), but a word after a boolean flag does (`--locked false --docker-privileged` sets
 * locked and leaves `false` and every flag after it positional), and so does `--`.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const files = (m: Record<string, string>): InputFile[] => Object.entries(m).map(([path, text]) => ({ path, bytes: enc(text) }));
const flags = (text: string, path = 'boot.sh') => registerCommands(path, text).map((c) => c.flags.map((f) => (f.value === undefined ? f.name : `${f.name}=${f.value}`)));
const codes = (text: string, code: string, path = 'boot.sh') => doctor(files({ [path]: text })).findings.filter((f) => f.code === code).map((f) => f.path);

describe('a commented-out gitlab-runner register is no command', () => {
  it('a # that begins a word: at the line start, after code, in a cloud-init list (a YAML comment)', () => {
    expect(flags('# gitlab-runner register --executor docker --docker-privileged\n')).toEqual([]);
    expect(flags('    #gitlab-runner register --executor docker --docker-privileged\n')).toEqual([]);
    expect(flags('echo setup # gitlab-runner register --executor docker --docker-privileged\n')).toEqual([]);
    expect(flags('#cloud-config\nruncmd:\n  # - gitlab-runner register --executor docker --docker-privileged\n  - echo hi\n', 'cloud-init.yaml')).toEqual([]);
    expect(flags('runcmd:\n  - |\n    # gitlab-runner register --executor docker --docker-privileged\n', 'cloud-init.yaml')).toEqual([]);
  });

  it('a # that begins no word, or is quoted, is no comment: the command is read (guard: read before too)', () => {
    const read = [['executor=docker', 'docker-privileged']];
    expect(flags('[ $# -gt 0 ] && gitlab-runner register --executor docker --docker-privileged\n')).toEqual(read);
    expect(flags('n=${#TAGS}; gitlab-runner register --executor docker --docker-privileged\n')).toEqual(read);
    expect(flags('a#b; gitlab-runner register --executor docker --docker-privileged\n')).toEqual(read);
    expect(flags('echo "# setup"; gitlab-runner register --executor docker --docker-privileged\n')).toEqual(read);
    expect(flags("echo '#'; gitlab-runner register --executor docker --docker-privileged\n")).toEqual(read);
    expect(flags('echo \\# ; gitlab-runner register --executor docker --docker-privileged\n')).toEqual(read);
    expect(flags('runcmd:\n  - gitlab-runner register --executor docker --docker-privileged # the runner\n', 'cloud-init.yaml')).toEqual(read);
  });

  it('line continuations in a real command still work (guard); a # line after a continuation ends it', () => {
    expect(flags('gitlab-runner register \\\n  --executor docker \\\n  --docker-privileged\n')).toEqual([['executor=docker', 'docker-privileged']]);
    expect(flags('gitlab-runner register \\\n  --executor docker \\\n  # --docker-privileged \\\n  --docker-image alpine\n')).toEqual([['executor=docker']]);
  });

  it('the doctor: a commented register is no finding, and a launch template whose only register is commented out reads as one without any', () => {
    expect(codes('#!/bin/bash\n# gitlab-runner register --token "$TOKEN" --executor docker --docker-privileged\n', 'RF301')).toEqual([]);
    expect(codes('#!/bin/bash\ngitlab-runner register --token "$TOKEN" --executor docker --docker-privileged\n', 'RF301')).toEqual(['boot.sh:2:59']);
    const lt = (script: string) => `resource "aws_launch_template" "runner" {\n  name      = "runner"\n  user_data = base64encode(<<-EOT\n${script}\n  EOT\n  )\n}\n`;
    const without = doctor(files({ 'main.tf': lt('    #!/bin/bash\n    echo boot') }));
    const commented = doctor(files({ 'main.tf': lt('    #!/bin/bash\n    # gitlab-runner register --token "$TOKEN" --executor docker --docker-privileged') }));
    expect(commented.findings.map((f) => [f.code, f.message])).toEqual(without.findings.map((f) => [f.code, f.message]));
    expect(commented.findings.map((f) => f.code)).not.toContain('RF911');
    // The same command not commented out is a manager (RF911: no instance profile) with RF301.
    const real = doctor(files({ 'main.tf': lt('    #!/bin/bash\n    gitlab-runner register --token "$TOKEN" --executor docker --docker-privileged') }));
    expect(real.findings.map((f) => f.code)).toEqual(expect.arrayContaining(['RF301', 'RF911']));
  });

  it('a commented command beside a real one: the real one is the only runner (no "second register" RF903)', () => {
    const r = doctor(files({ 'boot.sh': '# gitlab-runner register --token "$OLD" --executor shell\ngitlab-runner register --token "$TOKEN" --executor docker --docker-privileged\n' }));
    expect(registerCommands('boot.sh', '# gitlab-runner register --executor shell\ngitlab-runner register --executor docker\n').map((c) => c.at)).toEqual([42]);
    expect(r.findings.filter((f) => f.code === 'RF910').map((f) => f.message).join()).toContain('`gitlab-runner register` (boot.sh:2:1)');
    expect(r.findings.filter((f) => f.code === 'RF910').map((f) => f.message).join()).not.toContain('boot.sh:1:');
  });
});

describe('which words gitlab-runner takes for flags (urfave/cli v1 reorderArgs, then Go flag.Parse)', () => {
  it('a stray word before flags does not stop them: reorderArgs moves the flags before it (guard: read before too)', () => {
    expect(flags('gitlab-runner register runner-1 --executor docker --docker-privileged\n')).toEqual([['executor=docker', 'docker-privileged']]);
    expect(flags('gitlab-runner register --executor docker stray --docker-privileged\n')).toEqual([['executor=docker', 'docker-privileged']]);
  });

  it('a word after a boolean flag stops the flags: it is moved with the flag, which takes no value, and flag.Parse stops there', () => {
    expect(flags('gitlab-runner register --executor docker --locked false --docker-privileged\n')).toEqual([['executor=docker', 'locked']]);
    expect(flags('gitlab-runner register --non-interactive yes --executor docker --docker-privileged\n')).toEqual([['non-interactive']]);
    // With =, a boolean flag takes its value and nothing after it moves: the flags go on.
    expect(flags('gitlab-runner register --locked=false --executor docker --docker-privileged\n')).toEqual([['locked=false', 'executor=docker', 'docker-privileged']]);
  });

  it('-- ends the flags (everything after it is positional); as the value of a flag that takes one, -- is that value', () => {
    expect(flags('gitlab-runner register --executor docker -- --docker-privileged\n')).toEqual([['executor=docker']]);
    expect(flags('gitlab-runner register --description -- --docker-privileged\n')).toEqual([['description=--', 'docker-privileged']]);
  });

  it('one dash is a flag too (Go reads -flag as --flag), and the short names are register\'s (-n, -u, -r, -t, -c)', () => {
    expect(flags('gitlab-runner register -n -u https://g.example.com -r "$REG" -c /etc/gitlab-runner/config.toml -executor docker -docker-privileged\n')).toEqual([['non-interactive', 'url=https://g.example.com', 'registration-token=$REG', 'config=/etc/gitlab-runner/config.toml', 'executor=docker', 'docker-privileged']]);
    expect(flags('gitlab-runner register -t "$TOKEN" --executor shell\n')).toEqual([['token=$TOKEN', 'executor=shell']]);
  });

  it('what the shell removes or may split is no stopping word (an unquoted $EXTRA, a redirection); a quoted "$NAME" is one word', () => {
    expect(flags('gitlab-runner register --non-interactive $EXTRA_ARGS --executor docker --docker-privileged\n')).toEqual([['non-interactive', 'executor=docker', 'docker-privileged']]);
    expect(flags('gitlab-runner register --non-interactive >/var/log/register.log --executor docker 2> /dev/null --docker-privileged\n')).toEqual([['non-interactive', 'executor=docker', 'docker-privileged']]);
    // Quoted, "$NAME" is one word: after a boolean flag it stops the flags.
    expect(flags('gitlab-runner register --non-interactive "$NAME" --executor docker\n')).toEqual([['non-interactive']]);
  });

  it('the doctor: --docker-privileged after `--locked true` or after -- is no RF301; before them, and after a stray word, it is', () => {
    const at = (cmd: string) => codes(`gitlab-runner register --token "$TOKEN" --executor docker ${cmd}\n`, 'RF301');
    expect(at('--locked true --docker-privileged')).toEqual([]);
    expect(at('-- --docker-privileged')).toEqual([]);
    expect(at('--docker-privileged --locked true')).toEqual(['boot.sh:1:59']);
    expect(at('stray --docker-privileged')).toEqual(['boot.sh:1:65']);
    // -r is --registration-token: RF912 at it.
    expect(codes('gitlab-runner register -r "$REG" --executor docker\n', 'RF912')).toEqual(['boot.sh:1:24']);
  });
});

describe('RF927: where gitlab-runner stops reading the flags, the flags after it are said not to be set', () => {
  const rf927 = (cmd: string) => doctor(files({ 'boot.sh': `gitlab-runner register --token "$TOKEN" --executor docker ${cmd}\n` })).findings.filter((f) => f.code === 'RF927');
  it('`--locked false` then flags: RF927 at `false`, naming the flags not set and the fix --locked=false', () => {
    const [f, ...more] = rf927('--locked false --docker-privileged --docker-volumes /cache');
    expect(more).toEqual([]);
    expect(f!.path).toBe('boot.sh:1:68');
    expect(f!.severity).toBe('warning');
    expect(f!.message).toBe('gitlab-runner register stops reading its flags at `false`: the boolean flag --locked takes a value only as --locked=value, so urfave/cli keeps `false` right after it and Go\'s flag parsing stops at that word; --docker-privileged, --docker-volumes after it are not set (gitlab-runner warns "parameters after this may be ignored"), so register runs without them or stops for a missing --url or --token');
    expect(f!.fix).toBe('write --locked=false');
  });
  it('-- then flags: RF927 at --; a stray word after a boolean flag: remove it', () => {
    expect(rf927('-- --docker-privileged').map((f) => [f.path, f.fix])).toEqual([['boot.sh:1:59', 'remove `--`, or move those flags before it']]);
    expect(rf927('--non-interactive yes --docker-privileged').map((f) => f.fix)).toEqual(['remove `yes`, or write --non-interactive=value']);
  });
  it('no RF927 where nothing is lost: a stray word before flags, --locked=false, a trailing word, a word after a boolean flag with no flag after it', () => {
    expect(rf927('stray --docker-privileged')).toEqual([]);
    expect(rf927('--locked=false --docker-privileged')).toEqual([]);
    expect(rf927('--docker-privileged extra')).toEqual([]);
    expect(rf927('--run-untagged=true --locked true')).toEqual([]);
  });
  it('a token-shaped stopping word is not shown', () => {
    const r = doctor(files({ 'boot.sh': 'gitlab-runner register --non-interactive glrt-abcdefghijklmnopqrst --executor docker\n' }));
    expect(r.findings.filter((f) => f.code === 'RF927').map((f) => f.received)).toEqual(['(a value, not shown)']);
    expect(JSON.stringify(r)).not.toContain('glrt-abcdefghijklmnopqrst');
  });
});

describe('the token proofs name the parameter by what the evidence shows it holds', () => {
  const corpus = (edit: (path: string, text: string) => string): InputFile[] =>
    corpusFiles(join(import.meta.dirname, 'doctor', 'corpus', 'ec2-docker-register-flags')).map((f) => ({ path: f.path, bytes: enc(edit(f.path, new TextDecoder().decode(f.bytes))) }));
  const withFlag = (flag: string, edit: (text: string) => string = (t) => t) => doctor(corpus((p, t) => (p.endsWith('user-data.sh') ? t.replace('--token "$token"', `--${flag} "$token"`) : edit(t))));
  const claims = (r: ReturnType<typeof doctor>) => r.proofs.map((p) => p.claim).filter((c) => c.includes('/ci/docker-ci/token'));
  it('--registration-token from the parameter: the claims say it holds a legacy registration token, not "its token parameter"', () => {
    const c = claims(withFlag('registration-token'));
    expect(c).toEqual([
      expect.stringMatching(/^the manager reads its registration-token parameter \/ci\/docker-ci\/token \(a legacy registration token, passed to gitlab-runner register --registration-token\) and no other runner's/),
      expect.stringMatching(/^only the manager can read the registration-token parameter \/ci\/docker-ci\/token \(a legacy registration token, passed to gitlab-runner register --registration-token\); the documents hold no other IAM role$/),
    ]);
  });
  it('--token from the parameter: the claims say it holds the runner authentication token, and no claim puts two brackets in a row', () => {
    const c = claims(withFlag('token'));
    expect(c[1]).toMatch(/^only the manager can read the token parameter \/ci\/docker-ci\/token \(its runner authentication token, passed to gitlab-runner register --token\); the documents hold no other IAM role$/);
    expect(c.filter((x) => /\)\s*\(|\(\(/.test(x))).toEqual([]);
    expect(c[0]).toMatch(/^the manager reads its token parameter \/ci\/docker-ci\/token \(its runner authentication token, passed to gitlab-runner register --token\) and no other runner's/);
  });
  it('a String parameter: RF712 names the registration token it stores unencrypted', () => {
    const r = withFlag('registration-token', (t) => t.replace('"type": "SecureString"', '"type": "String"'));
    const rf712 = r.findings.filter((f) => f.code === 'RF712' && f.message.includes('not SecureString'));
    expect(rf712.map((f) => f.message)).toEqual([expect.stringContaining('holds the registration token of docker-ci as type "String", not SecureString: the registration token is stored unencrypted')]);
  });
});

describe('the token proofs of a runner whose token flag is not shown: unchanged (passing twin)', () => {
  it('a config.toml heredoc (ec2-docker-hand-written): "its token parameter", as runner-fleet\'s own', () => {
    const r = doctor(corpusFiles(join(import.meta.dirname, 'doctor', 'corpus', 'ec2-docker-hand-written')));
    const claim = r.proofs.map((p) => p.claim).find((c) => c.startsWith('the manager reads its '));
    expect(claim).toMatch(/^the manager reads its token parameter \S+ and no other runner's/);
  });
});

describe('register --executor docker+machine: RF925, as a config.toml given alone says it', () => {
  it('at the flag, quoted or not, with = or a space', () => {
    expect(codes('#!/bin/bash\ngitlab-runner register --non-interactive --url https://gitlab.example.com --token "$TOKEN" --executor docker+machine\n', 'RF925')).toEqual(['boot.sh:2:92']);
    expect(codes('#!/bin/bash\ngitlab-runner register \\\n  --executor="docker+machine" \\\n  --url https://gitlab.example.com\n', 'RF925')).toEqual(['boot.sh:3:3']);
  });

  it('another executor, or docker+machine only in a comment: no RF925', () => {
    expect(codes('#!/bin/bash\ngitlab-runner register --url https://gitlab.example.com --token "$TOKEN" --executor docker-autoscaler\n', 'RF925')).toEqual([]);
    expect(codes('#!/bin/bash\n# gitlab-runner register --executor docker+machine\n', 'RF925')).toEqual([]);
  });
});

describe("register's boolean flags are gitlab-runner's bool fields (register-flags.ts, read from gitlab-runner 19.4.0), not a guess", () => {
  it('--debug-trace-disabled (a bool field the guess did not know) takes no value: `true` after it stops the flags (RF927), --docker-privileged after it is not set', () => {
    const cmd = 'gitlab-runner register --token "$TOKEN" --executor docker --debug-trace-disabled true --docker-privileged\n';
    expect(flags(cmd)).toEqual([['token=$TOKEN', 'executor=docker', 'debug-trace-disabled']]);
    expect(codes(cmd, 'RF927')).toEqual(['boot.sh:1:82']);
    expect(codes(cmd, 'RF301')).toEqual([]);
  });
  it('--docker-volume-keep and --kubernetes-namespace_per_job (bool fields) never take the next word', () => {
    expect(flags('gitlab-runner register --docker-volume-keep --executor docker\n')).toEqual([['docker-volume-keep', 'executor=docker']]);
    expect(flags('gitlab-runner register --executor kubernetes --kubernetes-namespace_per_job yes --url https://x\n')).toEqual([['executor=kubernetes', 'kubernetes-namespace_per_job']]);
  });
  it('--docker-services_privileged (a *bool field, which Go reads with a value) takes `true`: no stop, the flags after it are read', () => {
    const cmd = 'gitlab-runner register --token "$TOKEN" --executor docker --docker-services_privileged true --docker-privileged\n';
    expect(flags(cmd)).toEqual([['token=$TOKEN', 'executor=docker', 'docker-services_privileged=true', 'docker-privileged']]);
    expect(codes(cmd, 'RF927')).toEqual([]);
  });
  it('a bool flag with =value, or alone before another flag, is read as before (guard)', () => {
    expect(flags('gitlab-runner register --debug-trace-disabled=true --docker-privileged\n')).toEqual([['debug-trace-disabled=true', 'docker-privileged']]);
    expect(flags('gitlab-runner register --locked --docker-privileged\n')).toEqual([['locked', 'docker-privileged']]);
  });
});

describe("a Terraform file's // and /* */ comments hide a register command; in its user data they are shell text", () => {
  const tf = (before: string, script: string) => `${before}
resource "aws_instance" "manager" {
  ami           = "ami-0123456789abcdef0"
  instance_type = "t3.micro"
  user_data     = <<-EOF
    #!/bin/bash
${script}
  EOF
}
`;
  it('// and /* */ outside the heredoc are HCL comments: no command, no RF301', () => {
    const text = tf('// gitlab-runner register --url https://gitlab.example.com --executor docker --docker-privileged\n/* before:\n  gitlab-runner register --executor docker --docker-privileged\n*/', '    gitlab-runner register --url https://gitlab.example.com --executor docker');
    expect(codes(text, 'RF301', 'main.tf')).toEqual([]);
    expect(flags(text, 'main.tf')).toEqual([['url=https://gitlab.example.com', 'executor=docker']]);
  });
  it('inside the heredoc `//` and `/*` are shell text (a URL, a glob): the command after them is read (guard: read before too)', () => {
    const text = tf('', '    curl -fsSL https://example.com/setup.sh | bash; rm -rf /tmp/runner/* && gitlab-runner register --url https://gitlab.example.com --executor docker --docker-privileged');
    expect(codes(text, 'RF301', 'main.tf')).toEqual(['main.tf:7:151']);
  });
  it('the same // line in a shell script is no comment (guard)', () => {
    expect(flags('cd //opt; gitlab-runner register --executor docker --docker-privileged\n')).toEqual([['executor=docker', 'docker-privileged']]);
  });
});

describe('a manager rebuilt from register flags: the fix names the flag the user wrote, not the config.toml key it sets', () => {
  const corpus = (name: string) => doctor(corpusFiles(join(import.meta.dirname, 'doctor', 'corpus', name))).findings;
  it('RF301 of the chain at --docker-privileged: remove the flag (or --docker-privileged=false)', () => {
    for (const name of ['ec2-docker-register-flags-cache-not-granted', 'ec2-register-boolean-flag-value']) {
      const rf301 = corpus(name).filter((f) => f.code === 'RF301');
      expect(rf301.map((f) => f.fix)).toEqual([expect.stringMatching(/^remove --docker-privileged from the gitlab-runner register command \(or write --docker-privileged=false\)/)]);
    }
  });
  it('RF925 at --executor docker+machine: register with --executor docker-autoscaler and a --template-config', () => {
    const rf925 = codesWithFix('#!/bin/bash\ngitlab-runner register --url https://gitlab.example.com --token "$TOKEN" --executor docker+machine\n', 'RF925');
    expect(rf925).toEqual([expect.stringMatching(/^register the runner with --executor docker-autoscaler and a --template-config whose \[runners\.autoscaler\]/)]);
  });
  it('a config.toml heredoc (ec2-docker-templatefile): the key, as before (guard)', () => {
    expect(corpus('ec2-docker-templatefile').filter((f) => f.code === 'RF301').map((f) => f.fix)).toEqual([expect.stringMatching(/^set privileged = false in \[runners\.docker\] of the runner's config\.toml/)]);
  });
});
const codesWithFix = (text: string, code: string) => doctor(files({ 'boot.sh': text })).findings.filter((f) => f.code === code).map((f) => f.fix);

/**
 * The program and its subcommand on two lines (task 37a: a public Terraform repository's remote-exec
 * template runs `docker exec -it runner \` / `gitlab-runner \` / `register \` / … `--docker-privileged`,
 * and the doctor found no command there, so the privileged flag went unsaid). POSIX Shell Command
 * Language 2.2.1 (Escape Character): a backslash-newline is a line continuation, removed before the
 * input is split into words, so blanks around it keep `gitlab-runner` and `register` two words; with
 * no blank on either side the two halves join into one word (`gitlab-runnerregister`), no command.
 */
describe('gitlab-runner and register on two lines joined by a line continuation', () => {
  const split = 'docker exec -it runner \\\n    gitlab-runner \\\n    register \\\n    -n \\\n    --executor docker \\\n    --docker-privileged\n';

  it('is read as one register command, its flags on the lines after it', () => {
    expect(flags(split)).toEqual([['non-interactive', 'executor=docker', 'docker-privileged']]);
    expect(flags('gitlab-runner\\\n  register --executor docker --docker-privileged\n')).toEqual([['executor=docker', 'docker-privileged']]);
    expect(flags('sudo gitlab-runner \\\r\n\\\r\n  register \\\r\n  --executor docker \\\r\n  --docker-privileged\r\n')).toEqual([['executor=docker', 'docker-privileged']]);
  });

  it('its privileged flag is RF301 at the flag', () => {
    expect(codes(split, 'RF301')).toEqual(['boot.sh:6:5']);
  });

  it('with no blank around the continuation the words join, and two lines without one are two commands (guard)', () => {
    expect(flags('gitlab-runner\\\nregister --executor docker --docker-privileged\n')).toEqual([]);
    expect(flags('gitlab-runner\n  register --executor docker --docker-privileged\n')).toEqual([]);
    expect(flags('gitlab-runner unregister \\\n  --all-runners\n')).toEqual([]);
  });
});

/**
 * A Terraform template's `%{ if … ~}` block between a command's continued lines (task 37a: a public
 * remote-exec template writes `--tag-list` and `--run-untagged` each inside `%{ if … ~}` … `%{ endif ~}`,
 * then `--docker-privileged` on the last line; the reader stopped at the first `%{`, so the
 * privileged flag went unsaid). Terraform "Strings and Templates": a directive renders to nothing,
 * and a `~` strip marker removes the whitespace next to it, newlines included: whichever branch
 * renders, the line after the block continues the command. What the branches hold may not render,
 * so it is not read.
 */
describe('a Terraform template directive block between the continued lines of a register command', () => {
  const tpl = (block: string, last = '    --docker-privileged') => `docker exec -it runner \\\n    gitlab-runner \\\n    register \\\n    -n \\\n    --executor docker \\\n    --docker-image "docker:24" \\\n${block}${last}\n`;
  const ifBlock = '%{ if add_tags ~}\n    --tag-list "docker" \\\n%{ endif ~}\n%{ if run_untagged ~}\n    --run-untagged \\\n%{ else ~}\n    --locked=true \\\n%{ endif ~}\n';

  it('the flags after the block are read, those inside it are not', () => {
    expect(flags(tpl(ifBlock), 'runner.tpl')).toEqual([['non-interactive', 'executor=docker', 'docker-image=docker:24', 'docker-privileged']]);
    expect(flags(tpl('  %{ for t in tags ~}\n    --docker-volumes "${t}" \\\n  %{ endfor ~}\n'), 'runner.tpl')).toEqual([['non-interactive', 'executor=docker', 'docker-image=docker:24', 'docker-privileged']]);
    expect(codes(tpl(ifBlock), 'RF301', 'runner.tpl')).toEqual(['runner.tpl:15:5']);
  });

  it('where the lines after the block may not continue the command, they are not read (guard)', () => {
    const before = [['non-interactive', 'executor=docker', 'docker-image=docker:24']];
    // No strip marker: the newline after the directive stays, and the empty line ends the command.
    expect(flags(tpl('%{ if add_tags }\n    --tag-list "docker" \\\n%{ endif }\n'), 'runner.tpl')).toEqual(before);
    // A branch whose last line ends the command.
    expect(flags(tpl('%{ if add_tags ~}\n    --tag-list "docker"\n%{ endif ~}\n'), 'runner.tpl')).toEqual(before);
    // A blank line after the block: the strip marker removes the directive's own line break, not the next one.
    expect(flags(tpl('%{ if add_tags ~}\n    --tag-list "docker" \\\n%{ endif ~}\n\n'), 'runner.tpl')).toEqual(before);
    // A directive that is not alone on its line, and a block never closed.
    expect(flags(tpl('%{ if add_tags ~}--tag-list "docker" \\\n%{ endif ~}\n'), 'runner.tpl')).toEqual(before);
    expect(flags(tpl('%{ if add_tags ~}\n    --tag-list "docker" \\\n'), 'runner.tpl')).toEqual(before);
  });
});
