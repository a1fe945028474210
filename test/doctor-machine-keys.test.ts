import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { doctorTexts, placeOf } from './helpers/doctor.js';
import { machineConfigHeredoc, machineOptionsLaunchTemplate, machineOptionsValues } from './helpers/machine-keys.js';
import { keyCredential, machineKey, placeholderValue } from '../src/verify/credentials.js';

/**
 * Issue 29d: docker-machine key options (`amazonec2-access-key=…` and the like) wherever they are
 * written — a config.toml's MachineOptions, `gitlab-runner register --machine-machine-options`, a
 * config.toml in a user data heredoc — by one rule: a key written out is RF940 at its entry or
 * option, never shown; a placeholder no issued key can be is not RF940, but RF928 (info) says the
 * option is set (the design still hands the machines static keys; the fix is an instance profile).
 */

const run = doctorTexts;
const at = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code).map((f) => f.path);
const place = placeOf;

// Written for these tests: of the forms AWS issues (20 and 40 characters), not one character over and over.
const ACCESS_KEY = 'AKIAEXAMPLE7Q2W3E4RT';
const OTHER_ACCESS_KEY = 'AKIAQ7W3E9R2T5Y8U1I4';
const SECRET_KEY = 'wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12';
const OTHER_SECRET = 'wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY99';

const toml = (options: string[], multiLine = true) => `[[runners]]
  name = "autoscale"
  executor = "docker+machine"
  [runners.docker]
    image = "alpine:3.20"
  [runners.machine]
    MachineDriver = "amazonec2"
    MachineName = "ci-%s"
    MachineOptions = [${multiLine ? `\n${options.map((o) => `      ${JSON.stringify(o)},`).join('\n')}\n    ` : options.map((o) => JSON.stringify(o)).join(', ')}]
`;

describe('one rule for a placeholder (placeholderValue, machineKey)', () => {
  it.each([
    ['one character over and over', 'AAA'],
    ['X over and over', 'XXXX'],
    ['a hint in angle brackets', '<your key>'],
    ['changeme', 'changeme'],
    ['a variable the environment fills in', '${AWS_KEY}'],
    ['REPLACE_ME', 'REPLACE_ME'],
    ['a marker a sed replaces', '__AWS_SECRET_KEY__'],
    ['your…', 'YOUR_SECRET_KEY'],
  ])('a placeholder: %s', (_what, value) => {
    expect(placeholderValue(value)).toBe(true);
    expect(machineKey(`amazonec2-access-key=${value}`)?.placeholder).toBe(true);
    expect(machineKey(`amazonec2-secret-key=${value}`)?.placeholder).toBe(true);
  });

  it('not of the form AWS issues its keys in: no AWS key, whatever the words', () => {
    expect(machineKey('amazonec2-access-key=MYACCESSKEY')?.placeholder).toBe(true);
    expect(machineKey('amazonec2-access-key=AKIAXXXXXXXXXXXXXXXX')?.placeholder).toBe(true);
    expect(machineKey('amazonec2-secret-key=mysecret')?.placeholder).toBe(true);
  });

  it('a key of the form AWS issues is a key, and a key id in the secret key option too (its shape)', () => {
    expect(machineKey(`amazonec2-access-key=${ACCESS_KEY}`)).toMatchObject({ option: 'amazonec2-access-key', placeholder: false });
    expect(machineKey(`--amazonec2-secret-key=${SECRET_KEY}`)).toMatchObject({ option: 'amazonec2-secret-key', placeholder: false });
    expect(machineKey(`amazonec2-secret-key=${ACCESS_KEY}`)).toMatchObject({ placeholder: false });
    // No form to hold them to: any literal that is no placeholder.
    expect(machineKey('amazonec2-session-token=FwoGZXIvYXdzEXAMPLEtoken')).toMatchObject({ placeholder: false });
    expect(machineKey('azure-client-secret=changeme')).toMatchObject({ placeholder: true });
    // Not a key option, or nothing given.
    expect(machineKey('amazonec2-region=us-west-1')).toBeUndefined();
    expect(machineKey('amazonec2-access-key=')).toBeUndefined();
  });

  it('the scan by key name reads placeholders by the same rule (one character over and over, your…), and keeps any other literal', () => {
    expect(keyCredential('XXXXXXXX', 'AWS_SECRET_ACCESS_KEY')).toBeUndefined();
    expect(keyCredential('your-secret-key', 'AWS_SECRET_ACCESS_KEY')).toBeUndefined();
    expect(keyCredential('changeme', 'AWS_SECRET_ACCESS_KEY')).toBeUndefined();
    // S3-compatible stores take any key under the AWS names: a short literal is still a credential.
    expect(keyCredential('minio-secret-1', 'AWS_SECRET_ACCESS_KEY')?.cloud).toBe(true);
  });
});

describe('a config.toml alone: a placeholder in MachineOptions is RF928, a key RF940', () => {
  it.each([
    ['AAA', 'amazonec2-access-key=AAA'],
    ['XXXX', 'amazonec2-access-key=XXXX'],
    ['<your key>', 'amazonec2-access-key=<your key>'],
    ['changeme', 'amazonec2-secret-key=changeme'],
    ['${AWS_KEY}', 'amazonec2-access-key=${AWS_KEY}'],
    ['REPLACE_ME', 'amazonec2-secret-key=REPLACE_ME'],
    ['a word of the wrong form', 'amazonec2-access-key=MYACCESSKEY'],
    ['an Azure secret placeholder', 'azure-client-secret=<secret>'],
  ])('placeholder %s: no RF940, RF928 (info) at the entry, exit 0', (_what, option) => {
    const text = toml([option, 'amazonec2-region=us-west-1']);
    const r = run({ 'config.toml': text });
    expect(at(r, 'RF940')).toEqual([]);
    expect(at(r, 'RF928')).toEqual([place('config.toml', text, JSON.stringify(option))]);
    const f = r.findings.find((x) => x.code === 'RF928')!;
    expect(f.severity).toBe('info');
    expect(f.message).toContain(`MachineOptions ${option.split('=')[0]} (MachineDriver "amazonec2") to a placeholder or a variable`);
    expect(f.fix).toMatch(/instance profile|managed identity/);
    expect(JSON.stringify(r)).not.toContain(option.split('=')[1]);
    expect(r.findings.filter((x) => x.severity !== 'info').map((x) => x.code)).toEqual(['RF925']);
  });

  it('twin: a key of the form AWS issues is RF940 at its entry, not RF928, never shown', () => {
    const text = toml([`amazonec2-access-key=${ACCESS_KEY}`, 'amazonec2-region=us-west-1', `amazonec2-secret-key=${SECRET_KEY}`]);
    const r = run({ 'config.toml': text });
    expect(at(r, 'RF940')).toEqual([place('config.toml', text, '"amazonec2-access-key'), place('config.toml', text, '"amazonec2-secret-key')]);
    expect(at(r, 'RF928')).toEqual([]);
    expect(JSON.stringify(r)).not.toContain(ACCESS_KEY);
    expect(JSON.stringify(r)).not.toContain(SECRET_KEY);
  });

  it('guard: no key option at all, neither', () => {
    const r = run({ 'config.toml': toml(['amazonec2-iam-instance-profile=ci-machines', 'amazonec2-region=us-west-1']) });
    expect(at(r, 'RF940')).toEqual([]);
    expect(at(r, 'RF928')).toEqual([]);
  });
});

describe('one finding per MachineOptions entry, whichever reader sees it first', () => {
  it('two key options on one line: each its own RF940 at its own entry', () => {
    const text = toml([`amazonec2-access-key=${ACCESS_KEY}`, `amazonec2-secret-key=${SECRET_KEY}`], false);
    const r = run({ 'config.toml': text });
    expect(at(r, 'RF940')).toEqual([place('config.toml', text, '"amazonec2-access-key'), place('config.toml', text, '"amazonec2-secret-key')]);
    expect(r.findings.filter((f) => f.code === 'RF940').map((f) => f.message.split(' (MachineDriver')[0])).toEqual([
      'an AWS access key id is written in config.toml at [runners.machine] MachineOptions amazonec2-access-key',
      'an AWS secret access key is written in config.toml at [runners.machine] MachineOptions amazonec2-secret-key',
    ]);
  });

  it('the message puts no two brackets in a row (the driver, then "value not shown")', () => {
    const text = toml([`amazonec2-access-key=${ACCESS_KEY}`, `amazonec2-secret-key=${SECRET_KEY}`], false);
    const messages = run({ 'config.toml': text }).findings.filter((f) => f.code === 'RF940').map((f) => f.message);
    expect(messages).toHaveLength(2);
    expect(messages.filter((m) => /\)\s*\(|\(\(/.test(m))).toEqual([]);
    expect(messages[0]).toContain('docker-machine creates and removes the job machines with it (value not shown)');
  });

  it('an access key id written in the secret key option: one finding at that entry (the scan finds it by its shape, the option by its name)', () => {
    const text = toml([`amazonec2-secret-key=${ACCESS_KEY}`]);
    const r = run({ 'config.toml': text });
    expect(at(r, 'RF940')).toEqual([place('config.toml', text, '"amazonec2-secret-key')]);
    expect(r.findings.find((f) => f.code === 'RF940')!.message).toContain('MachineOptions amazonec2-secret-key');
  });

  it('a key id in another option on the same line keeps the scan its own finding, at that entry', () => {
    const text = toml([`amazonec2-secret-key=${SECRET_KEY}`, `amazonec2-tags=owner,ci,key,${OTHER_ACCESS_KEY}`], false);
    const r = run({ 'config.toml': text });
    const keys = r.findings.filter((f) => f.code === 'RF940');
    expect(keys.map((f) => f.path)).toEqual([place('config.toml', text, '"amazonec2-secret-key'), place('config.toml', text, '"amazonec2-tags')]);
    expect(keys[1]!.message).toMatch(/^an AWS access key id is written in config\.toml at MachineOptions/);
  });

  it('the same key in two [[runners]] entries: one finding at each entry, each naming the other', () => {
    const one = toml([`amazonec2-secret-key=${SECRET_KEY}`]);
    const text = `${one}\n${one.replace('autoscale', 'second')}`;
    const r = run({ 'config.toml': text });
    const first = place('config.toml', text, '"amazonec2-secret-key');
    const second = place('config.toml', text, '"amazonec2-secret-key', text.indexOf('second'));
    expect(at(r, 'RF940')).toEqual([first, second]);
    const [a, b] = r.findings.filter((f) => f.code === 'RF940');
    expect(a!.message).toContain(`the same value is also written at ${second}`);
    expect(b!.message).toContain(`the same value is also written at ${first}`);
  });
});

describe('key options outside config.toml: a register line and a config.toml heredoc in user data', () => {
  const script = (options: string[]) => `#!/bin/bash
set -euo pipefail
gitlab-runner register --non-interactive --url https://gitlab.example.com/ --token "$TOKEN" \\
  --executor docker+machine --machine-machine-driver amazonec2 \\
${options.map((o) => `  --machine-machine-options ${o} \\`).join('\n')}
  --machine-machine-options amazonec2-region=us-west-1
`;

  it('register --machine-machine-options with keys: RF940 at each option, never shown', () => {
    const text = script([`amazonec2-access-key=${ACCESS_KEY}`, `"amazonec2-secret-key=${SECRET_KEY}"`]);
    const r = run({ 'user-data.sh': text });
    expect(at(r, 'RF940')).toEqual([place('user-data.sh', text, 'amazonec2-access-key'), place('user-data.sh', text, 'amazonec2-secret-key')]);
    expect(r.findings.find((f) => f.path === place('user-data.sh', text, 'amazonec2-secret-key'))!.message).toBe('an AWS secret access key is written in user-data.sh at amazonec2-secret-key (value not shown)');
    for (const f of r.findings.filter((x) => x.code === 'RF940')) expect(f.fix).toContain('instance profile');
    expect(JSON.stringify(r)).not.toContain(SECRET_KEY);
    expect(JSON.stringify(r)).not.toContain(ACCESS_KEY);
  });

  it('twin: register --machine-machine-options with variables and placeholders: no RF940, RF928 at each flag', () => {
    const text = script(['amazonec2-access-key=$AWS_ACCESS_KEY_ID', '"amazonec2-secret-key=${AWS_SECRET_ACCESS_KEY}"', 'amazonec2-session-token=REPLACE_ME']);
    const r = run({ 'user-data.sh': text });
    expect(at(r, 'RF940')).toEqual([]);
    expect(at(r, 'RF928')).toEqual(['amazonec2-access-key', 'amazonec2-secret-key', 'amazonec2-session-token'].map((o) => place('user-data.sh', text, '--machine-machine-options', text.indexOf(o) - 30)));
  });

  const tf = machineOptionsLaunchTemplate;

  it('a config.toml heredoc in Terraform user data: RF940 at each key option, two on one line, each at its entry\'s quote as in a config.toml file (issue 34d; was at the option)', () => {
    const text = tf([`amazonec2-access-key=${ACCESS_KEY}`, `amazonec2-secret-key=${SECRET_KEY}`, 'amazonec2-region=us-west-1']);
    const r = run({ 'main.tf': text });
    expect(at(r, 'RF940')).toEqual([place('main.tf', text, '"amazonec2-access-key'), place('main.tf', text, '"amazonec2-secret-key')]);
    expect(JSON.stringify(r)).not.toContain(SECRET_KEY);
  });

  it('a heredoc config.toml whose MachineOptions entries are on lines of their own: each at its quote, as the same config.toml in a values runners.config; a register flag in the same heredoc stays at its option', () => {
    const text = `resource "aws_instance" "runner" {
  ami           = "ami-0123456789abcdef0"
  instance_type = "t3.micro"
  user_data     = <<-EOF
    #!/bin/bash
${machineConfigHeredoc(`[\n      "amazonec2-access-key=${ACCESS_KEY}",\n      'amazonec2-session-token=REPLACE_ME',\n    ]`, '    ')}    gitlab-runner register --machine-machine-options "amazonec2-secret-key=${SECRET_KEY}"
  EOF
}
`;
    const r = run({ 'main.tf': text });
    expect(at(r, 'RF940')).toEqual([place('main.tf', text, '"amazonec2-access-key'), place('main.tf', text, 'amazonec2-secret-key')]);
    expect(at(r, 'RF928')).toEqual([place('main.tf', text, "'amazonec2-session-token")]);
    expect(JSON.stringify(r)).not.toContain(SECRET_KEY);
    expect(JSON.stringify(r)).not.toContain(ACCESS_KEY);
  });

  it('a config.toml heredoc in a shell script: each MachineOptions entry at its quote, as in a .tf heredoc and a config.toml file (issue 35b; was at the option); a register flag in the same script stays at its option', () => {
    const text = `#!/bin/bash
set -euo pipefail
${machineConfigHeredoc(`[\n      "amazonec2-access-key=${ACCESS_KEY}",\n      'amazonec2-session-token=REPLACE_ME',\n      "amazonec2-region=us-west-1", "amazonec2-secret-key=${SECRET_KEY}",\n    ]`)}gitlab-runner register --machine-machine-options "amazonec2-secret-key=${OTHER_SECRET}"
`;
    const r = run({ 'boot.sh': text });
    const flag = text.indexOf('register --machine');
    expect(at(r, 'RF940').sort()).toEqual([place('boot.sh', text, '"amazonec2-access-key'), place('boot.sh', text, '"amazonec2-secret-key'), place('boot.sh', text, 'amazonec2-secret-key', flag)].sort());
    expect(at(r, 'RF928')).toEqual([place('boot.sh', text, "'amazonec2-session-token")]);
    for (const secret of [SECRET_KEY, ACCESS_KEY, OTHER_SECRET]) expect(JSON.stringify(r)).not.toContain(secret);
  });

  it('the chart values runners.config (a config.toml the chart deploys): the secret key option is RF940 at its line and column (the entry\'s quote)', () => {
    const text = machineOptionsValues(['amazonec2-region=us-west-1', `amazonec2-secret-key=${SECRET_KEY}`]);
    const r = run({ 'values.yaml': text });
    expect(at(r, 'RF940')).toEqual([place('values.yaml', text, '"amazonec2-secret-key')]);
    expect(JSON.stringify(r)).not.toContain(SECRET_KEY);
  });

  it('guard (twin): the heredoc with placeholders and an instance profile, no RF940', () => {
    const r = run({ 'main.tf': tf(['amazonec2-access-key=XXXXXXXXXXXXXXXXXXXX', 'amazonec2-secret-key=<secret>', 'amazonec2-iam-instance-profile=ci']) });
    expect(at(r, 'RF940')).toEqual([]);
  });
});

describe('the credential scan at an entry of a TOML array', () => {
  it('a line of a multi-line string entry: RF940 at that line, not at the array key', () => {
    const text = `[[runners]]
  executor = "shell"
  environment = [
    "CI_DEBUG=false",
    """
export AWS_SECRET_ACCESS_KEY=minio-secret-value
""",
  ]
`;
    const r = run({ 'config.toml': text });
    expect(at(r, 'RF940')).toEqual([place('config.toml', text, 'AWS_SECRET_ACCESS_KEY')]);
  });
});
