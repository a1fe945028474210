import { describe, expect, it } from 'vitest';
import { maskCredentials, shownText } from '../src/verify/credentials.js';

/** Task 30b: a text a message quotes (a command of user data, an expression) shows no credential. */
describe('maskCredentials: every credential of a shown text', () => {
  it.each([
    ['two shapes on one line', 'a glrt-Kd8sP2mQ7nB4vX9zT1wE b AKIAQ2RFXJ7T4ZCV8N5M', 'a (value not shown) b (value not shown)'],
    ['a key\'s value', 'AWS_SECRET_ACCESS_KEY=abcDEF123456ghiJKL789 ./run', 'AWS_SECRET_ACCESS_KEY=(value not shown) ./run'],
    ['Authorization: Bearer', 'curl -H "Authorization: Bearer s3cr3tvalue" https://x', 'curl -H "Authorization: Bearer (value not shown)" https://x'],
    ['--token=', 'register --token=abcdef123456', 'register --token=(value not shown)'],
  ])('%s', (_name, text, masked) => {
    expect(maskCredentials(text)).toBe(masked);
  });
  it.each([
    ['a shell variable', 'register --token "$TOKEN"'],
    ['a Terraform interpolation', 'register --token ${var.token}'],
    ['a command substitution', 'register --token "$(cat /run/token)"'],
    ['a placeholder', 'register --token <your-token>'],
    ['no credential', 'curl -fsSL https://x.example/i.sh | bash'],
  ])('left as written: %s', (_name, text) => {
    expect(maskCredentials(text)).toBe(text);
  });
});

describe('shownText: masked, then cut', () => {
  it('a token past the cut is not left half shown', () => {
    const text = `${'x'.repeat(70)} glrt-Kd8sP2mQ7nB4vX9zT1wE`;
    expect(shownText(text, 80)).toBe(`${'x'.repeat(70)} (value no…`);
  });
});
