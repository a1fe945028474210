import { describe, expect, it } from 'vitest';
import { parseHcl } from '../src/doctor/hcl/parse.js';
import { addHclBody, emptyModule, hclLoc } from '../src/doctor/hcl/config.js';
import { ModuleEvaluator, Unknown, type Value } from '../src/doctor/hcl/eval.js';
import { isSet } from '../src/doctor/hcl/functions.js';
import { renderPolicyDocument } from '../src/doctor/terraform.js';

/**
 * The Terraform functions added for public runner deployments (cattle-ops/terraform-aws-gitlab-runner's
 * examples stop at title()), each from the examples and error cases of its page under
 * https://developer.hashicorp.com/terraform/language/functions/<name>, evaluated through the evaluator.
 */
function evalLocal(expr: string): { value: Value; broken: string[] } {
  const text = `locals {\n  x = ${expr}\n}\n`;
  const mod = emptyModule('.');
  addHclBody(mod, parseHcl(text), hclLoc('t.tf', text), (path) => ({ source: undefined as never, doc: 0, path }), () => undefined);
  const ev = new ModuleEvaluator(mod, { renderPolicy: renderPolicyDocument });
  const value = ev.local({ k: 'var', name: 'x', at: 0, end: 0 }, { loc: hclLoc('t.tf', text), vars: new Map() }, 'x');
  return { value, broken: [...ev.broken.values()].map((r) => `${r.at.line}:${r.at.column} ${r.message}`) };
}

describe('Terraform functions the doctor evaluates', () => {
  const known: [string, Value][] = [
    // strings
    ['title("hello world")', 'Hello World'],
    ['title("HELLO WORLD")', 'HELLO WORLD'],
    // Go's separators: beyond ASCII only a space; a dash or a symbol there joins the word.
    ['title("hello—world a☃b c\u00a0d")', 'Hello—world A☃b C\u00a0D'],
    ['title("docker+machine runner-1 x_y é")', 'Docker+Machine Runner-1 X_y É'],
    ['chomp("hello\\n")', 'hello'],
    ['chomp("hello\\r\\n")', 'hello'],
    ['chomp("hello\\n\\n")', 'hello'],
    ['chomp("a\\nb")', 'a\nb'],
    ['"  items: ${indent(2, "[\\n  foo,\\n  bar,\\n]\\n")}"', '  items: [\n    foo,\n    bar,\n  ]\n  '],
    ['trim("?!hello?!", "!?")', 'hello'],
    ['trim("foobar", "far")', 'oob'],
    ['trim("   hello! world.!  ", "! ")', 'hello! world.'],
    ['strrev("hello")', 'olleh'],
    ['strrev("a ☃")', '☃ a'],
    ['strrev("e\\u0301x")', 'xe\u0301'],
    ['urlencode("Hello World!")', 'Hello+World%21'],
    ['urlencode("☃")', '%E2%98%83'],
    ['"http://example.com/search?q=${urlencode("terraform urlencode")}"', 'http://example.com/search?q=terraform+urlencode'],
    ['urlencode("a-b_c.d~e/f?g=h&i+j")', 'a-b_c.d~e%2Ff%3Fg%3Dh%26i%2Bj'],
    // collections
    ['alltrue(["true", true])', true],
    ['alltrue([true, false])', false],
    ['alltrue([])', true],
    ['anytrue(["true"])', true],
    ['anytrue([true, false])', true],
    ['anytrue([])', false],
    ['sum([10, 13, 6, 4.5])', 33.5],
    ['one([])', null],
    ['one(["hello"])', 'hello'],
    ['slice(["a", "b", "c", "d"], 1, 3)', ['b', 'c']],
    ['slice(["a"], 1, 1)', []],
    ['range(3)', [0, 1, 2]],
    ['range(1, 4)', [1, 2, 3]],
    ['range(1, 8, 2)', [1, 3, 5, 7]],
    ['range(1, 4, 0.5)', [1, 1.5, 2, 2.5, 3, 3.5]],
    ['range(4, 1)', [4, 3, 2]],
    ['range(10, 5, -2)', [10, 8, 6]],
    ['range(-3)', [0, -1, -2]],
    ['length(range(1024))', 1024],
    ['setunion(["a", "b"], ["b", "c"], ["d"])', ['a', 'b', 'c', 'd']],
    ['setintersection(["a", "b"], ["b", "c"], ["b", "d"])', ['b']],
    ['setsubtract(["a", "b", "c"], ["a", "c"])', ['b']],
    ['setunion([3, 1], [2, 10])', [1, 2, 3, 10]],
    ['transpose({ a = ["1", "2"], b = ["2", "3"] })', { '1': ['a'], '2': ['a', 'b'], '3': ['b'] }],
    // numbers
    ['floor(5)', 5],
    ['floor(4.9)', 4],
    ['ceil(5)', 5],
    ['ceil(5.1)', 6],
    ['signum(-13)', -1],
    ['signum(0)', 0],
    ['signum(344)', 1],
    ['pow(3, 2)', 9],
    ['pow(4, 0)', 1],
    ['log(16, 2)', 4],
    ['floor(log(50, 10) * 1000)', 1698],
    // sensitivity is not modelled: the value itself
    ['nonsensitive("x")', 'x'],
    ['sensitive({ a = 1 })', { a: 1 }],
    // hashes of the UTF-8 text (checked against openssl dgst)
    ['md5("hello world")', '5eb63bbbe01eeed093cb22bb8f5acdc3'],
    ['sha1("hello world")', '2aae6c35c94fcfb415dbe95f408b9ce91ee846ed'],
    ['sha256("hello world")', 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9'],
    ['sha512("hello world")', '309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f'],
    ['base64sha256("hello world")', 'uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek='],
    ['base64sha512("hello world")', 'MJ7MSJwS1utMxA9QyQLytNDtd+5RGnx6m808qG1M2G+YndNbxf9JlnDaNCVbRbDP2DDoH2Bdz33FVC6TrpzXbw=='],
    // regular expressions (RE2 read as JavaScript where both read alike)
    ['regex("[a-z]+", "53453453.345345aaabbbccc23454")', 'aaabbbccc'],
    ['regex("(\\\\d\\\\d\\\\d\\\\d)-(\\\\d\\\\d)-(\\\\d\\\\d)", "2019-02-01")', ['2019', '02', '01']],
    ['regex("^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?", "https://terraform.io/docs/")', { scheme: 'https', authority: 'terraform.io' }],
    ['regexall("[a-z]+", "1234abcd5678efgh9")', ['abcd', 'efgh']],
    ['length(regexall("[a-z]+", "123456789")) > 0', false],
    ['regexall("a*", "baaac")', ['', 'aaa', '']],
    ['regexall("(?P<major>\\\\d+)\\\\.(?P<minor>\\\\d+)", "16.11 17.3")', [{ major: '16', minor: '11' }, { major: '17', minor: '3' }]],
    // IPv4 addresses
    ['cidrsubnet("172.16.0.0/12", 4, 2)', '172.18.0.0/16'],
    ['cidrsubnet("10.1.2.0/24", 4, 15)', '10.1.2.240/28'],
    ['cidrsubnet("10.1.2.3/24", 0, 0)', '10.1.2.0/24'],
    ['[for i in range(3) : cidrsubnet("10.0.0.0/16", 8, i)]', ['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24']],
    ['cidrhost("10.12.112.0/20", 16)', '10.12.112.16'],
    ['cidrhost("10.12.112.0/20", 268)', '10.12.113.12'],
    ['cidrhost("10.0.0.0/24", -1)', '10.0.0.255'],
    ['cidrhost("255.255.255.0/24", 255)', '255.255.255.255'],
  ];
  it.each(known)('%s', (expr, expected) => {
    const { value, broken } = evalLocal(expr);
    expect(broken).toEqual([]);
    expect(value).toEqual(expected);
  });

  it('setunion, setintersection and setsubtract give sets, as toset does', () => {
    for (const expr of ['setunion(["b"], ["a"])', 'setintersection(["a"], ["a"])', 'setsubtract(["a"], [])']) expect(isSet(evalLocal(expr).value)).toBe(true);
  });

  // Wrong arguments: Terraform refuses them; the doctor says why (RF906 "fails on these arguments"), never crashes.
  const refused: [string, RegExp][] = [
    ['title(["a"])', /title needs a string/],
    ['alltrue(["yes"])', /alltrue needs a list of bools/],
    ['anytrue("true")', /anytrue needs a list/],
    ['sum([])', /sum of an empty list/],
    ['sum(["x"])', /sum needs a number/],
    ['one(["hello", "goodbye"])', /one needs a list of at most one element, got 2/],
    ['slice(["a", "b"], 1, 3)', /out of the list's 2 elements/],
    ['slice(["a", "b"], 2, 1)', /out of the list's 2 elements/],
    ['slice(["a"], 0.5, 1)', /slice needs a whole number/],
    ['range(0, 1, 0)', /step must not be zero/],
    ['range(1025)', /more than 1024 numbers/],
    ['range()', /range takes 1 to 3 numbers/],
    ['floor("x")', /floor needs a number/],
    ['indent(-1, "x")', /indent needs a count of spaces/],
    ['setsubtract(["a"])', /setsubtract takes two sets/],
    ['transpose({ a = "1" })', /transpose needs a list/],
    ['md5({})', /md5 needs a string/],
    ['regex("[a-z]+", "53453453.34534523454")', /does not match/],
    ['regex("(?P<a>x)(y)", "xy")', /cannot mix named and unnamed capture groups/],
    ['regexall("(?P<a>x)(y)", "no match")', /cannot mix named and unnamed capture groups/],
    ['cidrsubnet("10.0.0.0/24", 10, 1)', /make more than 32 bits/],
    ['cidrsubnet("10.0.0.0/24", 2, 4)', /does not accommodate a subnet numbered 4/],
    ['cidrsubnet("10.0.0.300/24", 2, 1)', /invalid CIDR address/],
    ['cidrhost("10.0.0.0/30", 4)', /does not accommodate host number 4/],
    ['cidrhost("10.0.0.0/30", -5)', /does not accommodate host number -5/],
  ];
  it.each(refused)('%s fails on its arguments (RF906)', (expr, why) => {
    const { value, broken } = evalLocal(expr);
    expect(broken).toEqual([]);
    expect(value).toBeInstanceOf(Unknown);
    expect((value as Unknown).reason.code).toBe('RF906');
    expect((value as Unknown).reason.message).toMatch(/fails on these arguments/);
    expect((value as Unknown).reason.message).toMatch(why);
  });

  // What the doctor cannot read as Terraform does stays unknown (not evaluated), never a guess.
  const notRead: string[] = [
    'regex("(?i)abc", "ABC")',
    'regexall("\\\\pN", "1")',
    'regex("\\\\C", "a")',
    'regex("[[:alpha:]]+", "ab")',
    'regex("\\\\s", " ")',
    'regex("(a)?b", "b")',
    'regex("[]a]", "a")',
    // `(?P<` that does not open a group (in a class, escaped) is not translated, and so not read.
    'regex("[(?P<]x", "Px")',
    'regex("\\\\(?P<x", "(P<x")',
    'cidrsubnet("fd00:fd12:3456:7890::/56", 16, 162)',
    'cidrhost("fd00::/64", 1)',
    'setunion(["a"], [1])',
    'alltrue([null])',
    'title("ǆemal")',
    'timestamp()',
    'pow(0, -1)',
    'log(0, 10)',
    // Exponential in a backtracking engine (RE2 is linear): not evaluated, and answered at once.
    'regex("(a+)+$", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!")',
    'regexall("(a|aa)*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")',
    'regex("((ab)*)+c", "abababababababababababababababababababab")',
  ];
  it.each(notRead)('%s is not evaluated (RF906)', (expr) => {
    const { value, broken } = evalLocal(expr);
    expect(broken).toEqual([]);
    expect(value).toBeInstanceOf(Unknown);
    expect((value as Unknown).reason.message).toMatch(/does not evaluate the function/);
  });
  it('replace() with such a pattern is not evaluated either, and says why', () => {
    const { value, broken } = evalLocal('replace("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", "/(a{1,3})*$/", "x")');
    expect(broken).toEqual([]);
    expect(value).toBeInstanceOf(Unknown);
    expect((value as Unknown).reason.message).toMatch(/repeats a group that repeats or alternates/);
  });
  // Repeated groups without repetition inside, and repetitions outside groups, are evaluated as before.
  it.each([
    ['regex("(ab)+", "xababy")', ['ab']],
    ['regex("a+b*", "aab")', 'aab'],
    ['regex("(?:ci|cd)-runner", "my-cd-runner")', 'cd-runner'],
  ] as [string, Value][])('%s is evaluated', (expr, expected) => {
    expect(evalLocal(expr).value).toEqual(expected);
  });
});
