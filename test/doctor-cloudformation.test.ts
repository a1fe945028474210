import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { doctorTexts } from './helpers/doctor.js';

/**
 * AWS CloudFormation templates (YAML with its short-form tags, or JSON as `cdk synth` writes it)
 * are not read: the doctor says so once per file (RF902, with the resource types it declares), and
 * RF910 names them where no runner manager is found, instead of saying nothing about them.
 */

const run = doctorTexts;
const about = (r: DoctorResult, code: string, path: string) => r.findings.filter((f) => f.code === code && f.message.includes(path));

const YAML_TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Description: GitLab runner managers in an Auto Scaling group
Parameters:
  Token:
    Type: String
    NoEcho: true
Resources:
  ManagerRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: { Service: ec2.amazonaws.com }
            Action: sts:AssumeRole
  ManagerProfile:
    Type: AWS::IAM::InstanceProfile
    Properties:
      Roles: [!Ref ManagerRole]
  ManagerTemplate:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        UserData: !Base64
          Fn::Sub: |
            #!/bin/bash
            gitlab-runner register --non-interactive --url https://gitlab.example.com --token \${Token} --executor docker
  Cache:
    Type: AWS::S3::Bucket
  OtherCache:
    Type: AWS::S3::Bucket
`;

// As `cdk synth` writes it: no AWSTemplateFormatVersion, every resource typed.
const CDK_TEMPLATE = JSON.stringify({
  Resources: {
    RunnerRoleABC123: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }] } } },
    CDKMetadata: { Type: 'AWS::CDK::Metadata', Properties: { Analytics: 'v2:deflate64:x' } },
  },
}, null, 1);

describe('an AWS CloudFormation template', () => {
  it('YAML with short-form tags: RF902 names it and its resource types; RF910 names it as a place a manager may be', () => {
    const r = run({ 'stack/runner.yml': YAML_TEMPLATE });
    const rf902 = about(r, 'RF902', 'stack/runner.yml');
    expect(rf902).toHaveLength(1);
    expect(rf902[0]!.path).toBe('stack/runner.yml:1:1');
    expect(rf902[0]!.message).toMatch(/^stack\/runner\.yml \(5 resources: AWS::IAM::Role, AWS::IAM::InstanceProfile, AWS::EC2::LaunchTemplate, AWS::S3::Bucket ×2\) is an AWS CloudFormation template; the doctor reads CloudFormation only for the access keys and credentials written in it/);
    expect(r.findings.filter((f) => f.code === 'RF901')).toEqual([]);
    const rf910 = r.findings.filter((f) => f.code === 'RF910');
    expect(rf910).toHaveLength(1);
    expect(rf910[0]!.message).toContain('1 AWS CloudFormation template(s), which the doctor does not read as a deployment, may declare one (RF902): stack/runner.yml');
  });

  it('JSON as cdk synth writes it (no AWSTemplateFormatVersion): RF902 too', () => {
    const r = run({ 'cdk.out/RunnerStack.template.json': CDK_TEMPLATE });
    expect(about(r, 'RF902', 'cdk.out/RunnerStack.template.json').map((f) => f.message)).toEqual([expect.stringContaining('(2 resources: AWS::IAM::Role, AWS::CDK::Metadata)')]);
    // Not taken for a bare policy document or anything else: no RF903 "which role it belongs to".
    expect(r.findings.filter((f) => f.code === 'RF903')).toEqual([]);
  });

  it('a literal access key in a template is still RF940: the credential scan reads every file', () => {
    const r = run({ 'stack.yaml': `${YAML_TEMPLATE}  User:\n    Type: AWS::IAM::AccessKey\n  Stored:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Value: AKIAIOSFODNN7EXAMPLQ\n` });
    // Line 37: the template's 31 lines, then User and its type, Stored, its type, properties and value.
    expect(r.findings.filter((f) => f.code === 'RF940').map((f) => f.path)).toEqual(['stack.yaml:37:14']);
  });

  it('several templates: one RF902 for all, at the first, each named with its resource types', () => {
    const files: Record<string, string> = {};
    for (let i = 1; i <= 10; i++) files[`cfns/stack-${String(i).padStart(2, '0')}.yml`] = YAML_TEMPLATE;
    const r = run(files);
    const rf902 = r.findings.filter((f) => f.code === 'RF902' && f.message.includes('CloudFormation'));
    expect(rf902.map((f) => f.path)).toEqual(['cfns/stack-01.yml:1:1']);
    expect(rf902[0]!.message).toMatch(/^10 AWS CloudFormation templates: cfns\/stack-01\.yml \(5 resources: AWS::IAM::Role, /);
    expect(rf902[0]!.message).toContain('; and 2 more; the doctor reads CloudFormation only for the access keys and credentials written in it');
    expect(r.findings.filter((f) => f.code === 'RF910')[0]!.message).toContain('10 AWS CloudFormation template(s), which the doctor does not read as a deployment, may declare one (RF902): cfns/stack-01.yml, cfns/stack-02.yml, cfns/stack-03.yml, …');
  });

  it('YAML that only has a Resources key of other types is not taken for a template', () => {
    const r = run({ 'inventory.yaml': 'Resources:\n  db:\n    Type: postgres\n  cache:\n    Type: redis\n' });
    expect(r.findings.filter((f) => f.message.includes('CloudFormation'))).toEqual([]);
  });

  it('Helm values and a chain beside a template: the chain is read, RF910 is not raised, the template has its RF902', () => {
    const values = readFileSync(join(__dirname, 'doctor', 'corpus', 'hand-eks-irsa-chart-rbac', 'helm', 'values.yaml'), 'utf8');
    const r = run({ 'values.yaml': values, 'cfn/stack.yml': YAML_TEMPLATE });
    expect(about(r, 'RF902', 'cfn/stack.yml')).toHaveLength(1);
    expect(r.findings.filter((f) => f.code === 'RF910')).toEqual([]);
    expect(r.chains.size).toBe(1);
  });
});
