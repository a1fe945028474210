import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { interpolationLineOf, templateLineOf } from '../src/doctor/template-map.js';
import { unverifiedDownloads } from '../src/platforms/aws-vm/common.js';
import { corpusFiles } from './helpers/doctor.js';

/**
 * Task 29a: a user data finding says where the user wrote the line (RF720's "line N" was a line of
 * the text the doctor rebuilt: the template rendered, its config.toml rewritten), and what is a
 * download piped into a shell. The base is the corpus case ec2-docker-templatefile (a proven
 * manager whose user data is base64encode(templatefile(...))).
 */
const CORPUS = join(import.meta.dirname, 'doctor', 'corpus');
const BASE = join(CORPUS, 'ec2-docker-templatefile');
const MAIN = readFileSync(join(BASE, 'main.tf'), 'utf8');
const TEMPLATE = readFileSync(join(BASE, 'user-data.sh.tpl'), 'utf8');
const enc = (s: string) => new TextEncoder().encode(s);
const PIPE = 'curl -fsSL https://get.example.com/install.sh | sudo bash';
const UNCHECKED = 'curl -fsSL -o /tmp/tool https://dl.example.com/tool';
const rf720 = (files: InputFile[]) => doctor(files).findings.filter((f) => f.code === 'RF720').map((f) => [f.path, f.message]);
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
const replaced = (text: string, from: string, to: string) => {
  expect(text).toContain(from);
  return text.replace(from, to);
};

/** The corpus case with its template and its user_data argument edited. */
function withTemplate(template: string, userData?: string): InputFile[] {
  const main = userData === undefined ? MAIN : replaced(MAIN, MAIN.slice(MAIN.indexOf('  user_data = base64encode(templatefile('), MAIN.indexOf('}))\n', MAIN.indexOf('  user_data = base64encode(templatefile(')) + 4), userData);
  return [{ path: 'main.tf', bytes: enc(main) }, { path: 'user-data.sh.tpl', bytes: enc(template) }];
}
const VARS = '    token_param = local.token_param\n    region      = "eu-central-1"\n    bucket      = aws_s3_bucket.cache.bucket\n    runner_name = local.runner_name\n';

describe('RF720 points at the line of the template the user wrote, not at a line of the rendered text', () => {
  // Above the commands, an interpolation that renders three lines; after them, the config.toml the doctor rewrites.
  const template = replaced(TEMPLATE, 'dnf install -y docker\n', `\${setup}\ndnf install -y docker\n${PIPE}\n`).replace('systemctl restart gitlab-runner', `${UNCHECKED}\nsystemctl restart gitlab-runner`);
  const userData = `  user_data = base64encode(templatefile("\${path.module}/user-data.sh.tpl", {\n${VARS}    setup       = "echo one\\necho two\\necho three"\n  }))\n`;

  it('a command below an interpolation that renders several lines, and one below the config.toml: their template lines', () => {
    const found = rf720(withTemplate(template, userData));
    expect(found).toEqual([
      [`user-data.sh.tpl:${lineOf(template, UNCHECKED)}:1`, `the user data of aws_launch_template.runner downloads without checking a pinned SHA-256 (line ${lineOf(template, UNCHECKED)} of user-data.sh.tpl: ${UNCHECKED})`],
      [`user-data.sh.tpl:${lineOf(template, PIPE)}:1`, `the user data of aws_launch_template.runner pipes a download into a shell (line ${lineOf(template, PIPE)} of user-data.sh.tpl: ${PIPE})`],
    ]);
    // The rendered text has them elsewhere: the interpolation adds two lines above both (and the config.toml is rewritten above the second).
    expect(lineOf(template, PIPE)).toBe(5);
  });

  it('a command that an interpolation writes: at the user_data argument, no line claimed', () => {
    const inVar = replaced(TEMPLATE, 'dnf install -y docker\n', '${setup}\ndnf install -y docker\n');
    const found = rf720(withTemplate(inVar, `  user_data = base64encode(templatefile("\${path.module}/user-data.sh.tpl", {\n${VARS}    setup       = "echo one\\n${PIPE}"\n  }))\n`));
    const at = `main.tf:${lineOf(MAIN, '  user_data = base64encode(templatefile(')}:15`;
    expect(found).toEqual([[at, `the user data of aws_launch_template.runner pipes a download into a shell (a line that no one line of user-data.sh.tpl writes: an interpolation or a directive renders it: ${PIPE})`]]);
  });

  it('a command inside a directive block is not claimed; one after the block is at its line', () => {
    const directive = replaced(TEMPLATE, 'dnf install -y docker\n', `%{ if true ~}\n${PIPE}\n%{ endif ~}\ndnf install -y docker\n${UNCHECKED}\n`);
    const found = rf720(withTemplate(directive));
    expect(found.map(([path]) => path)).toEqual([`main.tf:${lineOf(MAIN, '  user_data = base64encode(templatefile(')}:15`, `user-data.sh.tpl:${lineOf(directive, UNCHECKED)}:1`]);
    expect(found[0]![1]).not.toMatch(/\(line \d/);
  });
});

describe('the whole deployment: the ec2-docker-templatefile case with boot commands around a three-line interpolation', () => {
  // Was the corpus case ec2-docker-templatefile-download-lines (a copy of this case's main.tf but for one
  // line): the same files, made from the base case, and the same findings. Before task 29a: three RF720
  // at main.tf:89:1, saying lines 7, 8 (the echo and printf pipes) and 43.
  const lines = TEMPLATE.split('\n');
  const template = [...lines.slice(0, 2), '${setup}', lines[2]!, 'echo "vm.max_map_count=262144" | sudo sh -c \'cat >> /etc/sysctl.conf\'', "printf 'sysctl --system\\n' | sudo bash", ...lines.slice(3, 30), 'curl -fsSL https://get.example.com/node-exporter/install.sh | sudo bash', ...lines.slice(30)].join('\n');
  const main = replaced(MAIN, '    runner_name = local.runner_name\n  }))\n', '    runner_name = local.runner_name\n    setup       = join("\\n", ["mkdir -p /opt/ci", "chmod 0755 /opt/ci", "echo setup done"])\n  }))\n');

  it('the piped install script is RF720 at its template line (34); echo and printf piped into a shell are no download; the rest as the base case', () => {
    expect(lineOf(template, 'node-exporter/install.sh')).toBe(34);
    const r = doctor([{ path: 'main.tf', bytes: enc(main) }, { path: 'user-data.sh.tpl', bytes: enc(template) }]);
    expect(r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.path}`).sort()).toEqual(['RF205 main.tf:65:1', 'RF206 main.tf:65:1', 'RF301 user-data.sh.tpl:23:5', 'RF309 user-data.sh.tpl:24:5', 'RF720 user-data.sh.tpl:34:1']);
  });
});

describe('RF720 in a heredoc in the middle of a .tf file: the .tf line and column', () => {
  const heredoc = (body: string) => `  user_data = base64encode(<<-EOT\n${body.split('\n').map((l) => (l === '' ? l : `    ${l}`)).join('\n')}EOT\n  )\n`;
  it('a <<- heredoc below a local that renders several lines: the line in main.tf, at the command\'s indentation', () => {
    const body = `#!/bin/bash\nset -euo pipefail\n\${local.setup}\n${PIPE}\n` + TEMPLATE.slice(TEMPLATE.indexOf('TOKEN=$(')).replace(/\$\{(region|token_param|runner_name|bucket)\}/g, (_, v: string) => `\${${v === 'bucket' ? 'aws_s3_bucket.cache.bucket' : v === 'region' ? '"eu-central-1"' : `local.${v}`}}`);
    const main = replaced(MAIN, MAIN.slice(MAIN.indexOf('  user_data = base64encode(templatefile('), MAIN.indexOf('}))\n', MAIN.indexOf('  user_data = base64encode(templatefile(')) + 4), heredoc(body)).replace('locals {\n', 'locals {\n  setup       = "echo one\\necho two\\necho three"\n');
    const found = doctor([{ path: 'main.tf', bytes: enc(main) }]).findings.filter((f) => f.code === 'RF720');
    expect(found.map((f) => [f.path, f.message])).toEqual([[`main.tf:${lineOf(main, PIPE)}:5`, `the user data of aws_launch_template.runner pipes a download into a shell (line ${lineOf(main, PIPE)} of main.tf: ${PIPE})`]]);
  });
});

describe('RF720 in a script read whole (filebase64) and in a cloud-init template', () => {
  it('filebase64 of a script: the script\'s own line', () => {
    const files = corpusFiles(join(CORPUS, 'ec2-docker-hand-written'));
    const script = new TextDecoder().decode(files.find((f) => f.path === 'user-data.sh')!.bytes);
    const edited = script.replace('dnf install -y docker gitlab-runner\n', `dnf install -y docker gitlab-runner\nif true; then\n  ${PIPE}\nfi\n`);
    expect(edited).not.toBe(script);
    const found = rf720(files.map((f) => (f.path === 'user-data.sh' ? { ...f, bytes: enc(edited) } : f)));
    expect(found).toEqual([[`user-data.sh:${lineOf(edited, PIPE)}:3`, `the user data of aws_launch_template.ci pipes a download into a shell (line ${lineOf(edited, PIPE)} of user-data.sh: ${PIPE})`]]);
  });

  it('a cloud-config template: the runcmd line of the template, below the config.toml the doctor rewrites', () => {
    const dir = join(CORPUS, 'ec2-docker-cloud-init-write-files');
    const files = corpusFiles(dir);
    const tftpl = files.find((f) => f.path.endsWith('.tftpl'))!;
    const text = new TextDecoder().decode(tftpl.bytes).replace(/echo "0123[^\n]*sha256sum -c - && /, '');
    const found = doctor(files.map((f) => (f === tftpl ? { ...f, bytes: enc(text) } : f))).findings.filter((f) => f.code === 'RF720');
    // At the list item's first character (`- curl …`).
    expect(found.map((f) => f.path)).toEqual([`${tftpl.path}:${lineOf(text, 'curl -fsSL -o /tmp/gitlab-runner.rpm')}:${text.split('\n')[lineOf(text, 'curl -fsSL -o /tmp/gitlab-runner.rpm') - 1]!.indexOf('- curl') + 1}`]);
    expect(found[0]!.message).toContain(`(line ${lineOf(text, 'curl -fsSL -o /tmp/gitlab-runner.rpm')} of ${tftpl.path}: `);
  });
});

describe('templateLineOf: a rendered line to the one template line that writes it', () => {
  it.each([
    ['literal lines', 'a\nb\nc\n', 'a\nb\nc\n', 2, { line: 2, column: 1 }],
    ['below an interpolation of three lines', '${x}\nb\n', '1\n2\n3\nb\n', 4, { line: 2, column: 1 }],
    ['inside that interpolation', '${x}\nb\n', '1\n2\n3\nb\n', 2, undefined],
    ['an interpolation on the line, one line long', 'curl ${u} | sh\n', 'curl https://x | sh\n', 1, { line: 1, column: 1 }],
    ['an interpolation on the line whose value has a line break', 'curl ${u} | sh\n', 'curl a\nb | sh\n', 2, undefined],
    ['indented', 'a\n  b\n', 'a\n  b\n', 2, { line: 2, column: 3 }],
    ['after a directive block', '%{ if c }x\ny\n%{ endif }\nz\n', 'x\ny\n\nz\n', 4, { line: 4, column: 1 }],
    ['inside a directive block', '%{ if c }x\ny\n%{ endif }\nz\n', 'x\ny\n\nz\n', 2, undefined],
    ['$${ is literal', 'echo $${HOME}\n', 'echo ${HOME}\n', 1, { line: 1, column: 1 }],
  ] as const)('%s', (_name, template, rendered, line, expected) => {
    expect(templateLineOf(template, rendered)?.(line)).toEqual(expected);
  });
  it('a rendered text that does not align with the template: nothing', () => {
    expect(templateLineOf('a\n${x}\nc\n', 'a\nb\nd\n')).toBeUndefined();
  });
});

describe('interpolationLineOf: a rendered line to the interpolation whose value holds it', () => {
  it.each([
    ['the second line of a value on lines of its own', 'a\n${x}\nb\n', 'a\n1\n2\nb\n', 3, { expr: 'x', value: '1\n2', line: 2 }],
    ['strip markers and spaces taken off the expression', '${~ x ~}\nb\n', '1\n2b\n', 1, { expr: 'x', value: '1\n2', line: 1 }],
    ['a literal line is no value\'s', 'a\n${x}\nb\n', 'a\n1\n2\nb\n', 4, undefined],
    ['a value that starts after text of the template on its line', 'a: ${x}\n', 'a: 1\n2\n', 1, undefined],
    ['a line inside a directive block', '%{ if c }x\ny\n%{ endif }\n', 'x\ny\n\n', 1, undefined],
  ] as const)('%s', (_name, template, rendered, line, expected) => {
    expect(interpolationLineOf(template, rendered, line)).toEqual(expected);
  });
});

describe('a pipe into a shell is RF720 only when what it runs is a download', () => {
  const script = (...lines: string[]) => ['#!/bin/bash', 'set -euo pipefail', ...lines].join('\n');
  it.each([
    ['echo into sudo bash', 'echo ok | sudo bash'],
    ['printf into sh', "printf 'systemctl restart x\\n' | sh"],
    ['cat of a local script into bash', 'cat /opt/setup.sh | bash'],
  ])('no RF720: %s', (_name, line) => {
    expect(unverifiedDownloads(script(line))).toEqual([]);
  });
  it.each([
    ['curl into sudo bash', 'curl -fsSL https://x.example/i.sh | sudo bash'],
    ['wget to stdout into sh', 'wget -qO- https://x.example/i.sh | sh'],
    ['a URL fetched by another tool', 'aws s3 cp s3://bucket/i.sh - | bash'],
    ['the pipe on the line after the download it continues', 'curl -fsSL "https://x.example/i.sh" \\\n  | bash'],
    ['a local pipe, then a download piped on the same line', 'echo ok | bash; curl -fsSL https://x.example/i.sh | bash'],
  ])('RF720: %s', (_name, line) => {
    expect(unverifiedDownloads(script(line)).filter((p) => p.startsWith('pipes a download into a shell'))).toHaveLength(1);
  });
});

describe('RF910 and a manager whose register flags RF919 refuses: read, refused, not "could not be read"', () => {
  const manager = `resource "aws_iam_role" "r" {\n  name = "runner"\n  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }] })\n}\nresource "aws_iam_instance_profile" "r" {\n  name = "runner"\n  role = aws_iam_role.r.name\n}\nresource "aws_launch_template" "r" {\n  name = "runner"\n  iam_instance_profile { name = aws_iam_instance_profile.r.name }\n  metadata_options {\n    http_tokens = "required"\n    http_put_response_hop_limit = 1\n  }\n  user_data = filebase64("\${path.module}/boot.sh")\n}\n`;
  const register = 'gitlab-runner register --non-interactive --url https://g.example.com --token "$TOKEN" --executor docker --docker-image alpine';
  const run = (flags: string, more: Record<string, string> = {}) => doctor([{ path: 'main.tf', bytes: enc(manager) }, { path: 'boot.sh', bytes: enc(`#!/bin/bash\nset -euo pipefail\n${register}${flags}\n`) }, ...Object.entries(more).map(([path, text]) => ({ path, bytes: enc(text) }))]);

  it('a flag register refuses: RF910 says the manager was read and register refuses it (RF919 at the flag), and its fix is RF919\'s', () => {
    const r = run(' --docker-services-privileged');
    const rf919 = r.findings.find((f) => f.code === 'RF919')!;
    const rf910 = r.findings.find((f) => f.code === 'RF910')!;
    expect(rf910.message).not.toContain('could not be read');
    expect(rf910.message).toContain(`the manager of aws_launch_template.r (main.tf:16:15) was read, but gitlab-runner register refuses its flags at boot (RF919 at ${rf919.path}), so it registers no runner`);
    expect(rf910.fix).toMatch(/^fix the register command as RF919 says/);
    expect(rf910.fix).not.toContain('base64encode');
  });

  it('beside a launch template whose user data is not read: that one is listed as not read, the refused one as refused', () => {
    const other = 'resource "aws_launch_template" "w" {\n  name = "workers"\n  user_data = base64encode(var.script)\n}\nvariable "script" {}\n';
    const rf910 = run(' --docker-services-privileged', { 'workers.tf': other }).findings.find((f) => f.code === 'RF910')!;
    expect(rf910.message).toContain('the user data of 1 launch template(s) could not be read: aws_launch_template.w (workers.tf:3:15)');
    expect(rf910.message).not.toMatch(/could not be read: [^;]*aws_launch_template\.r/);
    expect(rf910.message).toContain('the manager of aws_launch_template.r (main.tf:16:15) was read, but gitlab-runner register refuses');
  });

  it('the same manager with the flag spelled as register knows it: proven, no RF910 (the passing twin)', () => {
    const r = run(' --docker-services_privileged=false');
    expect(r.findings.filter((f) => f.code === 'RF910' || f.code === 'RF919')).toEqual([]);
    expect(r.proofs.length).toBeGreaterThan(0);
  });
});

describe('RF906 of user data only Terraform knows says why', () => {
  const base = readFileSync(join(CORPUS, 'ec2-autoscaler-hand-written', 'main.tf'), 'utf8');
  const run = (edit: (t: string) => string) => doctor([{ path: 'main.tf', bytes: enc(edit(base)) }]).findings.filter((f) => f.code === 'RF906' && f.message.includes('its user data is known only when Terraform runs'));
  it('a variable without default: names it, and where it is read', () => {
    const edited = (t: string) => replaced(t, '  name_prefix            = "gitlab-ci-worker-"\n', '  name_prefix            = "gitlab-ci-worker-"\n  user_data              = base64encode(var.worker_script)\n') + 'variable "worker_script" {}\n';
    const found = run(edited);
    expect(found).toHaveLength(1);
    const at = `main.tf:${lineOf(edited(base), 'var.worker_script)')}:41`;
    expect(found[0]!.message).toContain(`): var.worker_script has no default, so its value is given only when Terraform runs (${at}): its downloads and credentials are not checked`);
  });
  it('a resource attribute only apply knows: names the resource', () => {
    const edited = (t: string) => replaced(t, '  name_prefix            = "gitlab-ci-worker-"\n', '  name_prefix            = "gitlab-ci-worker-"\n  user_data              = base64encode("#!/bin/bash\\necho ${aws_sqs_queue.q.url}\\n")\n') + 'resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n';
    const found = run(edited);
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain('aws_sqs_queue.q.url');
    expect(found[0]!.message).toMatch(/\): [^:]*aws_sqs_queue\.q[^(]*\(main\.tf:\d+:\d+\): its downloads/);
  });
});

describe('RF906 for a register flag whose shell name the script leaves unknown says which construct, and where', () => {
  const manager = `resource "aws_iam_role" "r" {\n  name = "runner"\n  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }] })\n}\nresource "aws_iam_instance_profile" "r" {\n  name = "runner"\n  role = aws_iam_role.r.name\n}\nresource "aws_launch_template" "r" {\n  name = "runner"\n  iam_instance_profile { name = aws_iam_instance_profile.r.name }\n  metadata_options {\n    http_tokens = "required"\n    http_put_response_hop_limit = 1\n  }\n  user_data = filebase64("\${path.module}/boot.sh")\n}\n`;
  const register = 'gitlab-runner register --non-interactive --url https://g.example.com --token "$TOKEN" --executor docker --docker-image alpine --cache-type s3 --cache-s3-bucket-name "$BUCKET"';
  const rf906 = (setup: string) => doctor([{ path: 'main.tf', bytes: enc(manager) }, { path: 'boot.sh', bytes: enc(`#!/bin/bash\nset -euo pipefail\n${setup}\n${register}\n`) }]).findings.filter((f) => f.code === 'RF906').map((f) => f.message);
  it.each([
    ['read', 'BUCKET=ci-cache\nread -r BUCKET < /etc/bucket', 'BUCKET is set by `read` on line 4 of boot.sh'],
    ['+=', 'BUCKET=ci\nBUCKET+=-cache', 'BUCKET is set by `BUCKET+=` on line 4 of boot.sh'],
    ['for', 'for BUCKET in a b; do :; done', 'BUCKET is set by `for` on line 3 of boot.sh'],
    ['unset', 'BUCKET=ci-cache\nunset BUCKET', 'BUCKET is set by `unset` on line 4 of boot.sh'],
    ['printf -v', 'printf -v BUCKET "%s" ci-cache', 'BUCKET is set by `printf -v` on line 3 of boot.sh'],
    ['source', 'BUCKET=ci-cache\nsource /etc/runner.env', 'BUCKET may be set by `source` on line 4 of boot.sh'],
  ])('%s', (_name, setup, said) => {
    const found = rf906(setup);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(`its --cache-s3-bucket-name "$BUCKET" is known only at boot: ${said}: this runner manager is not proven`);
  });
  it('a literal assignment: known, no RF906 (the passing twin)', () => {
    expect(rf906('BUCKET=ci-cache')).toEqual([]);
  });
});

describe('task 30b: a config.toml key of a VM manager is found at the line the user wrote (RF301, RF309), as RF720 is', () => {
  const findings = (files: InputFile[], code: string) => doctor(files).findings.filter((f) => f.code === code).map((f) => [f.path, f.message.split(':')[0]]);
  const at = `main.tf:${lineOf(MAIN, '  user_data = base64encode(templatefile(')}:15`;

  it('in a template: the template\'s line and the key\'s column (before: the user_data argument, a line of the rendered text)', () => {
    // Three lines above the config.toml that the template does not have: the rendered line is not the template's.
    const template = replaced(TEMPLATE, 'dnf install -y docker\n', '${setup}\ndnf install -y docker\n');
    const userData = `  user_data = base64encode(templatefile("\${path.module}/user-data.sh.tpl", {\n${VARS}    setup       = "echo one\\necho two\\necho three"\n  }))\n`;
    const files = withTemplate(template, userData);
    expect(findings(files, 'RF301')).toEqual([[`user-data.sh.tpl:${lineOf(template, 'privileged = true')}:5`, `runner docker-ci, line ${lineOf(template, 'privileged = true')} of user-data.sh.tpl`]]);
    expect(findings(files, 'RF309')).toEqual([[`user-data.sh.tpl:${lineOf(template, 'volumes = [')}:5`, `runner docker-ci, line ${lineOf(template, 'volumes = [')} of user-data.sh.tpl`]]);
  });

  it('in a <<- heredoc in main.tf: the line of main.tf, at the indentation the heredoc keeps', () => {
    const body = TEMPLATE.replace(/\$\{(region|token_param|runner_name|bucket)\}/g, (_, v: string) => `\${${v === 'bucket' ? 'aws_s3_bucket.cache.bucket' : v === 'region' ? '"eu-central-1"' : `local.${v}`}}`);
    const heredoc = `  user_data = base64encode(<<-EOT\n${body.split('\n').map((l) => (l === '' ? l : `    ${l}`)).join('\n')}EOT\n  )\n`;
    const main = replaced(MAIN, MAIN.slice(MAIN.indexOf('  user_data = base64encode(templatefile('), MAIN.indexOf('}))\n', MAIN.indexOf('  user_data = base64encode(templatefile(')) + 4), heredoc);
    expect(findings([{ path: 'main.tf', bytes: enc(main) }], 'RF301')).toEqual([[`main.tf:${lineOf(main, 'privileged = true')}:9`, `runner docker-ci, line ${lineOf(main, 'privileged = true')} of main.tf`]]);
  });

  it('a key an interpolation writes: at the user_data argument, the rendered line named and why no line of the template is', () => {
    const template = replaced(TEMPLATE, '    privileged = true\n', '${docker_settings}\n');
    const userData = `  user_data = base64encode(templatefile("\${path.module}/user-data.sh.tpl", {\n${VARS}    docker_settings = "    privileged = true\\n    shm_size = 0"\n  }))\n`;
    const found = doctor(withTemplate(template, userData)).findings.filter((f) => f.code === 'RF301');
    expect(found.map((f) => f.path)).toEqual([at]);
    expect(found[0]!.message).toMatch(/^runner docker-ci, line 20 of the user data of aws_launch_template\.runner as Terraform renders it, which no one line of user-data\.sh\.tpl writes: an interpolation or a directive renders it: /);
  });
});

describe('a config.toml in a template file of its own, interpolated into the user data template: its own file and line', () => {
  // The ec2-docker-templatefile case with its config.toml moved out (as phpboyscout/terraform-aws-gitlab-runner-fleet
  // writes it): user-data.sh.tpl holds `${config_toml}`, a local renders config.toml.tpl. Before, RF301 and RF309
  // were at the user_data argument, "a line that no one line of user-data.sh.tpl writes".
  const open = TEMPLATE.indexOf('concurrent = 4');
  const close = TEMPLATE.indexOf('TOML\nsystemctl');
  const CONFIG = TEMPLATE.slice(open, close);
  const outer = `${TEMPLATE.slice(0, open)}\${config_toml}\n${TEMPLATE.slice(close)}`;
  const found = (files: InputFile[], code: string) => doctor(files).findings.filter((f) => f.code === code).map((f) => [f.path, f.message.split(':')[0]]);
  const withConfig = (vars: string, locals: string, template = outer) => {
    const main = withTemplate(template, `  user_data = base64encode(templatefile("\${path.module}/user-data.sh.tpl", {\n${VARS}${vars}  }))\n`)[0]!;
    const text = replaced(new TextDecoder().decode(main.bytes), 'locals {\n', `locals {\n${locals}`);
    return [{ path: 'main.tf', bytes: enc(text) }, { path: 'user-data.sh.tpl', bytes: enc(template) }, { path: 'config.toml.tpl', bytes: enc(CONFIG) }];
  };
  const LOCAL = '  config_toml = templatefile("${path.module}/config.toml.tpl", { runner_name = "docker-ci", bucket = aws_s3_bucket.cache.bucket, region = "eu-central-1" })\n';

  it('through a local: RF301 and RF309 at the lines of config.toml.tpl', () => {
    expect(CONFIG).toContain('privileged = true');
    const files = withConfig('    config_toml = local.config_toml\n', LOCAL);
    expect(found(files, 'RF301')).toEqual([[`config.toml.tpl:${lineOf(CONFIG, 'privileged = true')}:5`, `runner docker-ci, line ${lineOf(CONFIG, 'privileged = true')} of config.toml.tpl`]]);
    expect(found(files, 'RF309')).toEqual([[`config.toml.tpl:${lineOf(CONFIG, 'volumes = [')}:5`, `runner docker-ci, line ${lineOf(CONFIG, 'volumes = [')} of config.toml.tpl`]]);
  });

  it('a templatefile() written as the variable itself, with a quoted key: the same lines', () => {
    const files = withConfig(`    "config_toml" = templatefile("\${path.module}/config.toml.tpl", { runner_name = "docker-ci", bucket = aws_s3_bucket.cache.bucket, region = "eu-central-1" })\n`, '');
    expect(found(files, 'RF301')).toEqual([[`config.toml.tpl:${lineOf(CONFIG, 'privileged = true')}:5`, `runner docker-ci, line ${lineOf(CONFIG, 'privileged = true')} of config.toml.tpl`]]);
  });

  it('a function of the variable (indent) changes the text: no line of either file is claimed', () => {
    const files = withConfig('    config_toml = local.config_toml\n', LOCAL, outer.replace('${config_toml}', '${indent(0, config_toml)}'));
    const rf301 = found(files, 'RF301');
    expect(rf301).toHaveLength(1);
    expect(rf301[0]![0]).toMatch(/^main\.tf:/);
    expect(rf301[0]![1]).toMatch(/as Terraform renders it, which no one line of user-data\.sh\.tpl writes/);
  });
});

describe('task 30b: a credential on a command RF720 quotes is not shown', () => {
  const TOKEN = 'glpat-Zq3x9LmN0pR7sT2vW5yA';
  const RUNNER = 'glrt-Kd8sP2mQ7nB4vX9zT1wE';
  it.each([
    ['a PRIVATE-TOKEN header', `curl -fsSL -H "PRIVATE-TOKEN: ${TOKEN}" https://gitlab.example.com/api/v4/projects/1/repository/files/i.sh/raw | bash`, TOKEN, '-H "PRIVATE-TOKEN: (value not shown)"'],
    ['a --token flag of what the download runs', `curl -fsSL https://g.example/i.sh | bash -s -- --token ${RUNNER}`, RUNNER, '--token (value not shown)'],
    ['a legacy token without a shape, after --registration-token', 'curl -sL https://g.example/i | bash -s -- --registration-token a1B2c3D4e5F6g7H8', 'a1B2c3D4e5F6g7H8', '--registration-token (value not shown)'],
  ])('%s: masked in the message, the line still placed', (_name, command, secret, shown) => {
    const template = replaced(TEMPLATE, 'dnf install -y docker\n', `dnf install -y docker\n${command}\n`);
    const found = doctor(withTemplate(template)).findings.filter((f) => f.code === 'RF720');
    expect(found.map((f) => f.path)).toEqual([`user-data.sh.tpl:${lineOf(template, command)}:1`]);
    expect(JSON.stringify(found)).not.toContain(secret);
    expect(found[0]!.message).toContain(shown);
  });
  it('a token the script reads at boot ($TOKEN) is shown as written (the passing twin)', () => {
    const command = 'curl -fsSL -H "PRIVATE-TOKEN: $TOKEN" https://gitlab.example.com/i.sh | bash';
    const template = replaced(TEMPLATE, 'dnf install -y docker\n', `dnf install -y docker\n${command}\n`);
    expect(rf720(withTemplate(template)).map(([, m]) => m)).toEqual([`the user data of aws_launch_template.runner pipes a download into a shell (line ${lineOf(template, command)} of user-data.sh.tpl: ${command.slice(0, 80)})`]);
  });
});

describe('task 30b: user data a data "template_file" renders is traced to its template, as templatefile() is', () => {
  const template = replaced(TEMPLATE, 'dnf install -y docker\n', `dnf install -y docker\n${PIPE}\n`);
  const dataSource = (templateArg: string) => `data "template_file" "boot" {\n  template = ${templateArg}\n  vars = {\n${VARS}  }\n}\n`;
  const withData = (templateArg: string, extra: InputFile[] = []) => {
    const start = MAIN.indexOf('  user_data = base64encode(templatefile(');
    const main = replaced(MAIN, MAIN.slice(start, MAIN.indexOf('}))\n', start) + 4), '  user_data = base64encode(data.template_file.boot.rendered)\n') + dataSource(templateArg);
    return { main, files: [{ path: 'main.tf', bytes: enc(main) }, ...extra] };
  };

  it('template = file(...): RF720 and RF301 at the template\'s lines (before: at the user_data argument)', () => {
    const { files } = withData('file("${path.module}/user-data.sh.tpl")', [{ path: 'user-data.sh.tpl', bytes: enc(template) }]);
    const r = doctor(files);
    expect(r.findings.filter((f) => f.code === 'RF720').map((f) => f.path)).toEqual([`user-data.sh.tpl:${lineOf(template, PIPE)}:1`]);
    expect(r.findings.filter((f) => f.code === 'RF301').map((f) => f.path)).toEqual([`user-data.sh.tpl:${lineOf(template, 'privileged = true')}:5`]);
  });

  it('template = a <<- heredoc: the lines of main.tf', () => {
    const heredoc = `<<-EOT\n${template.split('\n').map((l) => (l === '' ? l : `    ${l}`)).join('\n')}  EOT\n`.replace(/\$\{(region|token_param|runner_name|bucket)\}/g, '$$${$1}');
    const { main, files } = withData(heredoc);
    const found = doctor(files).findings.filter((f) => f.code === 'RF720');
    // A heredoc is a Terraform template before template_file renders it ($${x} is its ${x}): where the two differ no line is claimed, the command's is.
    expect(found.map((f) => [f.path, f.message])).toEqual([[`main.tf:${lineOf(main, PIPE)}:5`, `the user data of aws_launch_template.runner pipes a download into a shell (line ${lineOf(main, PIPE)} of main.tf: ${PIPE})`]]);
  });

  it('a template the doctor cannot read as written (a variable): at the user_data argument, no line claimed (the guard)', () => {
    const { main, files } = withData('var.boot_template');
    const withVar = main + `variable "boot_template" {\n  default = ${JSON.stringify(template).replace(/\$\{/g, '$$${')}\n}\n`;
    const found = doctor([{ path: 'main.tf', bytes: enc(withVar) }, ...files.slice(1)]).findings.filter((f) => f.code === 'RF720');
    expect(found.map((f) => f.path)).toEqual([`main.tf:${lineOf(withVar, 'data.template_file.boot.rendered')}:15`]);
    expect(found[0]!.message).toContain('(a line of the user data as Terraform renders it: ');
  });
});

describe('task 30b: the user data of a launch template that starts no manager (docker-autoscaler workers) is checked as a manager\'s', () => {
  const main = readFileSync(join(CORPUS, 'ec2-autoscaler-hand-written', 'main.tf'), 'utf8');
  const script = `#!/bin/bash\nset -euo pipefail\ndnf install -y docker\n${PIPE}\n`;
  const workers = (userData: string, text = script) => [
    { path: 'main.tf', bytes: enc(replaced(main, '  name_prefix            = "gitlab-ci-worker-"\n', `  name_prefix            = "gitlab-ci-worker-"\n  user_data              = ${userData}\n`)) },
    { path: 'workers.sh', bytes: enc(text) },
  ];
  it.each([
    ['filebase64()', 'filebase64("${path.module}/workers.sh")'],
    ['file() (plain text)', 'file("${path.module}/workers.sh")'],
    ['templatefile() (plain text)', 'templatefile("${path.module}/workers.sh", {})'],
    ['base64encode(file())', 'base64encode(file("${path.module}/workers.sh"))'],
    ['base64encode(templatefile())', 'base64encode(templatefile("${path.module}/workers.sh", {}))'],
  ])('%s: RF720 at the script\'s line (before: none, or a false RF106 for filebase64)', (_name, userData) => {
    const r = doctor(workers(userData));
    expect(r.findings.filter((f) => f.code === 'RF720').map((f) => [f.path, f.message])).toEqual([[`workers.sh:4:1`, `the user data of aws_launch_template.workers pipes a download into a shell (line 4 of workers.sh: ${PIPE})`]]);
    expect(r.findings.filter((f) => f.code === 'RF106')).toEqual([]);
  });
  it('a worker script that downloads nothing: no RF720, no RF106 (the passing twin)', () => {
    for (const userData of ['filebase64("${path.module}/workers.sh")', 'file("${path.module}/workers.sh")']) {
      const r = doctor(workers(userData, '#!/bin/bash\nset -euo pipefail\ndnf install -y docker\n'));
      expect(r.findings.filter((f) => f.code === 'RF720' || f.code === 'RF106')).toEqual([]);
    }
  });
});
