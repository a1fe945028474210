import { describe, expect, it } from 'vitest';
import { doctorTexts, placeOf } from './helpers/doctor.js';

/**
 * Issue 49b: a remote-exec `inline` list with several `gitlab-runner register` commands whose values
 * Terraform fills in (a variable with a default): the commands the manager does not prove (RF903
 * "a second register") are each placed at their own string in the .tf and named as the remote-exec
 * provisioner's, not at the resource as "the user data" (the rendered command no longer matched the
 * written one value for value, and the place fell back to the resource).
 */
const main = (registers: number, url: string) => `variable "gitlab_url" {
  default = "https://gitlab.example.com"
}
resource "aws_instance" "runner" {
  ami           = "ami-0123456789abcdef0"
  instance_type = "t3.micro"

  provisioner "remote-exec" {
    inline = [
      "sudo apt-get install -y gitlab-runner",
${Array.from({ length: registers }, (_, i) => `      "sudo gitlab-runner register --non-interactive --url ${url} --token $TOKEN_${i + 1} --executor docker --docker-image alpine:3.20",`).join('\n')}
    ]
  }
}
`;
const seconds = (tf: string) => doctorTexts({ 'main.tf': tf }).findings.filter((f) => f.code === 'RF903' && f.message.includes('second `gitlab-runner register`'));
/** Where the n-th register command (1-based) of the inline list is written. */
const nth = (tf: string, n: number) => {
  let at = tf.indexOf('inline');
  for (let i = 0; i < n; i++) at = tf.indexOf('gitlab-runner register', at + 1);
  return placeOf('main.tf', tf, 'gitlab-runner register', at - 1);
};

describe('a second register in a remote-exec inline list, with a value Terraform fills in', () => {
  it.each([2, 3])('%i registers: each other one at its own string, named the remote-exec provisioner\'s', (registers) => {
    const tf = main(registers, '${var.gitlab_url}');
    const found = seconds(tf);
    expect(found.map((f) => f.path)).toEqual(Array.from({ length: registers - 1 }, (_, i) => nth(tf, i + 2)));
    expect(found.map((f) => f.path)).not.toContain('main.tf:4:1');
    for (const f of found) expect(f.message).toMatch(/^the remote-exec provisioner of aws_instance\.runner runs a second `gitlab-runner register`/);
  });
  it('twin: the URL written out (the written command matches the rendered one): the same place, as before', () => {
    const tf = main(2, 'https://gitlab.example.com');
    expect(seconds(tf).map((f) => f.path)).toEqual([nth(tf, 2)]);
  });
});

/**
 * A register command in a one-line HCL string (a remote-exec inline item) ends at the string's
 * closing quote: the quote and the `,` or `]` after it are HCL's. Read on, a last flag without a
 * value became `--docker-privileged,` (or `]`), a flag register does not know: a false RF919 in
 * place of the RF301 the flag is.
 */
describe('a register command ends where its HCL string ends', () => {
  const tf = (inline: string) => `resource "aws_instance" "runner" {
  ami           = "ami-0123456789abcdef0"
  instance_type = "t3.micro"
  provisioner "remote-exec" {
    inline = ${inline}
  }
}
`;
  const CMD = 'sudo gitlab-runner register --non-interactive --url https://gitlab.example.com --token $TOKEN --executor docker --docker-image alpine:3.20';
  it.each([
    ['the last item, then `,`', `[\n      "${CMD} --docker-privileged",\n    ]`],
    ['the only item, then `]`', `["${CMD} --docker-privileged"]`],
    ['an escaped quote inside the string', `["${CMD} --description \\"ci runner\\" --docker-privileged"]`],
  ])('%s: RF301 at --docker-privileged, no RF919', (_, inline) => {
    const text = tf(inline);
    const found = doctorTexts({ 'main.tf': text }).findings.filter((f) => f.code === 'RF301' || f.code === 'RF919');
    expect(found.map((f) => `${f.code} ${f.path}`)).toEqual([`RF301 ${placeOf('main.tf', text, '--docker-privileged')}`]);
  });
  it('twin: a misspelt flag at the end is still RF919, named without the quote or comma', () => {
    const found = doctorTexts({ 'main.tf': tf(`[\n      "${CMD} --docker-privilegd",\n    ]`) }).findings.filter((f) => f.code === 'RF919');
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain('knows no flag --docker-privilegd:');
  });
});

/** An aws_instance whose remote-exec provisioner runs one inline command, written as an HCL string. */
const inlineCommand = (item: string) => `resource "aws_instance" "runner" {
  ami           = "ami-0123456789abcdef0"
  instance_type = "t3.micro"
  provisioner "remote-exec" {
    inline = [
      "${item}",
    ]
  }
}
`;

/**
 * Issue 51d: a `\n` escape in the HCL string is a line break where the string is rendered, so the
 * register command ends there too. Read on, the next command's words were the register command's:
 * `--docker-privileged\nsudo …` one word (a false RF919 in place of RF301), and a next command's
 * flags read after a word that stops register's (a false RF927).
 */
describe('a register command ends at a \\n escape of its HCL string', () => {
  const CMD = 'sudo gitlab-runner register --non-interactive --url https://gitlab.example.com --token $TOKEN --executor docker --docker-image alpine:3.20';
  it('--docker-privileged before \\n and another command: RF301 at the flag, no RF919', () => {
    const text = inlineCommand(`${CMD} --docker-privileged\\nsudo systemctl restart gitlab-runner`);
    const found = doctorTexts({ 'main.tf': text }).findings.filter((f) => f.code === 'RF301' || f.code === 'RF919');
    expect(found.map((f) => `${f.code} ${f.path}`)).toEqual([`RF301 ${placeOf('main.tf', text, '--docker-privileged')}`]);
  });
  it('the next command of the string has flags of its own: no RF927 about them', () => {
    const found = doctorTexts({ 'main.tf': inlineCommand(`${CMD}\\nsudo apt-get install --no-install-recommends -y jq`) }).findings.filter((f) => f.code === 'RF927' || f.code === 'RF919');
    expect(found).toEqual([]);
  });
  it('twin: a misspelt flag right before \\n is still RF919, named without the next command', () => {
    const found = doctorTexts({ 'main.tf': inlineCommand(`${CMD} --docker-privilegd\\nsudo systemctl restart gitlab-runner`) }).findings.filter((f) => f.code === 'RF919');
    expect(found.map((f) => /knows no flag \S+/.exec(f.message)?.[0])).toEqual(['knows no flag --docker-privilegd:']);
  });
});

/**
 * Issue 52d: a shell `\` line continuation inside a one-line HCL string is written `\\` then `\n`
 * (HCL's escapes for a backslash and a line break): the command goes on across it. Before, `\\\n`
 * was read as a word of the command, where Go's flag parsing stops (a false RF927), and the flags
 * after it were not read as register's (a misspelt one was no RF919).
 */
describe('a register command read across \\\\ \\n continuations of its HCL string', () => {
  const CMD = 'sudo gitlab-runner register --non-interactive --url https://gitlab.example.com \\\\\\n  --token $TOKEN --executor docker \\\\\\n  --docker-image alpine:3.20';
  it('a misspelt flag after the continuations: RF919 names it, no RF927 at the continuation', () => {
    const text = inlineCommand(`${CMD} --docker-privilegd`);
    const found = doctorTexts({ 'main.tf': text }).findings.filter((f) => f.code === 'RF919' || f.code === 'RF927');
    expect(found.map((f) => f.code)).toEqual(['RF919']);
    expect(found[0]!.message).toContain('knows no flag --docker-privilegd:');
  });
  it('--docker-privileged after the continuations: RF301 at the flag and nothing about the command line', () => {
    const text = inlineCommand(`${CMD} --docker-privileged`);
    const found = doctorTexts({ 'main.tf': text }).findings.filter((f) => f.code === 'RF301' || f.code === 'RF919' || f.code === 'RF927');
    expect(found.map((f) => `${f.code} ${f.path}`)).toEqual([`RF301 ${placeOf('main.tf', text, '--docker-privileged')}`]);
  });
  it('twin: a continuation and a \\n that ends the command; the next command is not read as register', () => {
    const found = doctorTexts({ 'main.tf': inlineCommand(`${CMD}\\nsudo apt-get install --no-install-recommends -y jq`) }).findings.filter((f) => f.code === 'RF927' || f.code === 'RF919');
    expect(found).toEqual([]);
  });
});
