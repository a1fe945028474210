import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { doctorTexts } from './helpers/doctor.js';

/**
 * The long-lived keys a CloudFormation template creates (RF936), as the Terraform ones
 * are (woodjme/autoscaling-ec2-gitlab-runners-fargate makes an IAM user's access key and hands its
 * secret to its ECS task); a template's parameters read for credentials by the parameter (a NoEcho
 * parameter's Default is a secret), named by their path.
 */

const run = doctorTexts;
const of = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const at = (r: DoctorResult, code: string) => of(r, code).map((f) => f.path);

const YAML_STACK = `AWSTemplateFormatVersion: 2010-09-09
Parameters:
  CacheUser:
    Type: String
Resources:
  CacheUserRes:
    Type: AWS::IAM::User
    Properties:
      UserName: !Join ['-', [!Ref 'AWS::StackName', s3user]]
  CacheKey:
    Type: AWS::IAM::AccessKey
    Properties:
      UserName: !Ref CacheUserRes
  NamedUser:
    Type: AWS::IAM::User
    Properties:
      UserName: gitlab-cache
  NamedKey:
    Type: AWS::IAM::AccessKey
    Properties:
      UserName: !Ref NamedUser
  LiteralKey:
    Type: AWS::IAM::AccessKey
    Properties:
      UserName: deployer
  ParamKey:
    Type: AWS::IAM::AccessKey
    Properties:
      UserName: !Ref CacheUser
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ContainerDefinitions:
      - Name: spawner
        Environment: [
          {"Name":"CACHE_S3_ACCESS_KEY", "Value": !Ref CacheKey},
          {"Name":"CACHE_S3_SECRET_KEY", "Value": !GetAtt CacheKey.SecretAccessKey}]
`;

describe('RF936: an AWS::IAM::AccessKey of a CloudFormation template', () => {
  it('YAML with short-form tags: one warning per key, at its Type, naming the user as the template gives it; where its secret goes', () => {
    const r = run({ 'stack.yml': YAML_STACK });
    const f = of(r, 'RF936');
    expect(f.map((x) => [x.severity, x.path])).toEqual([
      ['warning', 'stack.yml:11:11'],
      ['warning', 'stack.yml:19:11'],
      ['warning', 'stack.yml:23:11'],
      ['warning', 'stack.yml:27:11'],
    ]);
    expect(f.map((x) => /creates an access key of (.*?): a static credential/.exec(x.message)?.[1])).toEqual([
      'the IAM user of resource CacheUserRes',
      'IAM user gitlab-cache (resource NamedUser)',
      'IAM user deployer',
      'the IAM user parameter CacheUser names',
    ]);
    expect(f[0]!.message).toMatch(/^CloudFormation resource CacheKey \(AWS::IAM::AccessKey\) creates .* an AWS access key never expires/);
    expect(f[0]!.message).toContain('the template gives its secret to Resources.Task.Properties.ContainerDefinitions[0].Environment[1].Value (stack.yml:37:59)');
    expect(f[1]!.message).not.toContain('the template gives its secret');
    expect(f[0]!.fix).toMatch(/^delete the access key .*an ECS task role/);
    // CloudFormation is still not read as a deployment: its RF902 stays, and no tag is a syntax error.
    expect(of(r, 'RF902').map((x) => x.message)).toEqual([expect.stringMatching(/^stack\.yml \(7 resources: .*AWS::IAM::AccessKey ×4.*\) is an AWS CloudFormation template; the doctor reads CloudFormation only for the access keys and credentials written in it/)]);
    expect(of(r, 'RF901')).toEqual([]);
  });

  it('JSON (long-form Ref and Fn::GetAtt), as cdk synth writes it: the same', () => {
    const json = JSON.stringify({
      Resources: {
        User: { Type: 'AWS::IAM::User', Properties: { UserName: 'ci-cache' } },
        Key: { Type: 'AWS::IAM::AccessKey', Properties: { UserName: { Ref: 'User' }, Serial: 1 } },
        Out: { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: { 'Fn::GetAtt': ['Key', 'SecretAccessKey'] } } },
      },
    }, null, 1);
    const f = of(run({ 'cdk.out/Stack.template.json': json }), 'RF936');
    expect(f.map((x) => x.path)).toEqual(['cdk.out/Stack.template.json:10:12']);
    expect(f[0]!.message).toContain('creates an access key of IAM user ci-cache (resource User)');
    expect(f[0]!.message).toContain('the template gives its secret to Resources.Out.Properties.Value (cdk.out/Stack.template.json:22:14)');
  });

  it('twin: a template with an IAM user, a role and a login profile but no access key has no RF936; a Resources map that is no template neither', () => {
    const stack = 'AWSTemplateFormatVersion: 2010-09-09\nResources:\n  U:\n    Type: AWS::IAM::User\n    Properties:\n      LoginProfile:\n        Password: !Ref Pw\n  R:\n    Type: AWS::IAM::Role\n';
    expect(of(run({ 'stack.yml': stack }), 'RF936')).toEqual([]);
    expect(of(run({ 'inventory.yaml': 'Resources:\n  k:\n    Type: AccessKey\n' }), 'RF936')).toEqual([]);
  });

  it('the short forms read as the functions they stand for: a token inside !Sub keeps its place; a non-template with a tag reads as before', () => {
    const stack = "AWSTemplateFormatVersion: 2010-09-09\nResources:\n  P:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Value: !Sub\n        - 'x-${T}'\n        - T: glrt-FAKEfake1234fake5678\n";
    expect(at(run({ 'stack.yml': stack }), 'RF940')).toEqual(['stack.yml:8:14']);
    // A cloud key given a reference is no literal key (before, `!Ref SecretParam` read as the string "SecretParam": RF940).
    const referenced = 'AWSTemplateFormatVersion: 2010-09-09\nResources:\n  T:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      Env:\n        AWS_SECRET_ACCESS_KEY: !Ref SecretParam\n        AWS_ACCESS_KEY_ID: !GetAtt [Key, Id]\n';
    expect([...of(run({ 'ref.yml': referenced }), 'RF940'), ...of(run({ 'ref.yml': referenced }), 'RF933')]).toEqual([]);
    const other = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: !Ref x\n';
    expect(of(run({ 'cm.yaml': other }), 'RF901')).toEqual([]);
  });
});

describe('a template read for credentials: a parameter by its name, a NoEcho parameter\'s Default as a secret, named by its path', () => {
  const template = (parameters: Record<string, unknown>) => JSON.stringify({ AWSTemplateFormatVersion: '2010-09-09', Parameters: parameters, Resources: { B: { Type: 'AWS::S3::Bucket' } } }, null, 2);

  it('JSON: a token-shaped Default, a NoEcho Default of any shape and a cloud key parameter\'s Default are RF940 at Parameters.<name>.Default', () => {
    const r = run({
      'stack.json': template({
        RunnerToken: { Type: 'String', NoEcho: true, Default: 'glrt-FAKEfakeFAKEfake1234' },
        LegacyToken: { Type: 'String', NoEcho: 'true', Default: 'fakeLegacy1234token' },
        SecretKey: { Type: 'String', Default: 'fakeSecretKey/abc123' },
      }),
    });
    expect(of(r, 'RF940').map((f) => [f.path, f.message])).toEqual([
      ['stack.json:7:18', 'a GitLab runner authentication token is written in stack.json at Parameters.RunnerToken.Default (value not shown)'],
      ['stack.json:12:18', 'the default of NoEcho parameter LegacyToken is written in stack.json at Parameters.LegacyToken.Default (value not shown)'],
      ['stack.json:16:18', 'a static credential (SecretKey) is written in stack.json at Parameters.SecretKey.Default (value not shown)'],
    ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)));
    expect(of(r, 'RF940').find((f) => f.path === 'stack.json:12:18')!.fix).toMatch(/^remove the Default and revoke the token; declare the parameter NoEcho without a Default/);
  });

  it('YAML: a NoEcho Default is RF940 there too', () => {
    const stack = 'AWSTemplateFormatVersion: 2010-09-09\nParameters:\n  GitLabRegistration:\n    Type: String\n    NoEcho: true\n    Default: fakeLegacy1234token\nResources:\n  B:\n    Type: AWS::S3::Bucket\n';
    expect(of(run({ 'stack.yaml': stack }), 'RF940').map((f) => [f.path, f.message])).toEqual([['stack.yaml:6:14', 'the default of NoEcho parameter GitLabRegistration is written in stack.yaml at Parameters.GitLabRegistration.Default (value not shown)']]);
  });

  it('twin: a parameter named like a token whose Default is an ARN, NoEcho Defaults that are no secret, and a Default of a plain parameter: nothing', () => {
    const r = run({
      'stack.json': template({
        RunnerTokenSecretArn: { Type: 'String', Default: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:runner-token' },
        RunnerTokenParameter: { Type: 'AWS::SSM::Parameter::Value<String>', NoEcho: true, Default: '{{resolve:ssm-secure:/ci/token}}' },
        Empty: { Type: 'String', NoEcho: true, Default: '' },
        Asked: { Type: 'String', NoEcho: true, Default: 'changeme' },
        Count: { Type: 'Number', NoEcho: true, Default: 3 },
        Flag: { Type: 'String', NoEcho: true, Default: 'false' },
        Description: { Type: 'String', Default: 'fakeLegacy1234token' },
      }),
    });
    expect([...of(r, 'RF940'), ...of(r, 'RF933')]).toEqual([]);
  });

  it('twin: a JSON document that is no template, with a NoEcho-looking Parameters map, is read as before (by key only)', () => {
    const r = run({ 'params.json': JSON.stringify({ Parameters: { T: { NoEcho: true, Default: 'fakeLegacy1234token' } } }, null, 2) });
    expect(of(r, 'RF940')).toEqual([]);
  });
});

describe('parameter files and short-form tags: a value judged by the name it is given under', () => {
  const key = 'PtYgjmUhBel31iEl2hpChYgCfrL1spNxnyVmihA1';

  it('a parameter file (create-stack --parameters, deploy --parameter-overrides): a cloud key under its ParameterKey is RF940 at its ParameterValue; token shapes under any name too', () => {
    const text = JSON.stringify([
      { ParameterKey: 'SecretKey', ParameterValue: key },
      { ParameterKey: 'Notes', ParameterValue: 'glrt-FAKEfake1234fake5678' },
      { ParameterKey: 'Description', ParameterValue: key },
    ], null, 2);
    const r = run({ 'params.json': text });
    expect(of(r, 'RF940').map((f) => [f.path, f.message])).toEqual([
      ['params.json:4:23', 'a static credential (SecretKey) is written in params.json at SecretKey (value not shown)'],
      ['params.json:8:23', 'a GitLab runner authentication token is written in params.json at Notes (value not shown)'],
    ]);
    expect(JSON.stringify(r)).not.toContain(key);
    // The deploy form's Parameters map: each value under its own name already.
    expect(at(run({ 'overrides.json': JSON.stringify({ Parameters: { SecretKey: key, Stage: 'prod' } }, null, 2) }), 'RF940')).toEqual(['overrides.json:3:18']);
  });

  it('twin: a parameter named like a cloud key whose value is a reference, a placeholder or a {{resolve:…}}: nothing', () => {
    const text = JSON.stringify([
      { ParameterKey: 'SecretKey', ParameterValue: '{{resolve:secretsmanager:ci/key}}' },
      { ParameterKey: 'AccessKey', ParameterValue: '' },
      { ParameterKey: 'SecretKey', ParameterValue: '${SECRET_KEY}' },
    ], null, 2);
    expect(of(run({ 'params.json': text }), 'RF940')).toEqual([]);
  });

  it('a short-form tag\'s string (`SecretKey: !Sub "…"`): judged and named by the key it stands under, at the value after the tag', () => {
    const stack = `AWSTemplateFormatVersion: 2010-09-09\nResources:\n  F:\n    Type: AWS::Lambda::Function\n    Properties:\n      Environment:\n        Variables:\n          AWS_SECRET_ACCESS_KEY: !Sub "${key}"\n          Note: !Base64   glrt-FAKEfake1234fake5678\n          Ref: !Ref SecretParam\n          Joined: !Join ["", [a, b]]\n`;
    const r = run({ 'stack.yml': stack });
    expect(of(r, 'RF940').map((f) => [f.path, f.message])).toEqual([
      ['stack.yml:8:39', 'a static credential (AWS_SECRET_ACCESS_KEY) is written in stack.yml at AWS_SECRET_ACCESS_KEY (value not shown)'],
      ['stack.yml:9:27', 'a GitLab runner authentication token is written in stack.yml at Note (value not shown)'],
    ]);
  });
});
