import type { Finding } from '../../spec/findings.js';
import { CODES, type Code } from '../../spec/codes.js';
import { evaluatePolicies, PreparedPrincipal } from '../iam/evaluator.js';
import type { Request } from '../iam/types.js';
import type { RotatorIntent } from './intent.js';
import { asList, type RootRole } from './roles.js';
import { adviceThenRegenerate } from '../../spec/findings.js';

/**
 * The token rotator (operations.rotation) is an ID-token role with two more promises, proven from
 * its emitted documents: its trust admits exactly one sub (the schedule's project and branch) —
 * RF125 — and its policies allow rotation and nothing else (RF126), while still allowing every
 * step of rotation on every token it is made for (RF127).
 */

function f(code: Code, path: string, message: string, extra: Partial<Finding> = {}): Finding {
  return { code, severity: CODES[code].severity, path, message, ...extra };
}

const PROBE = 'runner-fleet-probe';

export function verifyRotator(path: string, role: RootRole, issuerHostPath: string, intent: RotatorIntent, partition: string): { findings: Finding[]; claim: string } {
  const findings: Finding[] = [];
  const subKey = `${issuerHostPath}:sub`.toLowerCase();
  // RF125: every Allow statement pins sub with StringEquals to the one intended value.
  for (const st of asList(role.trust.Statement)) {
    if (st.Effect !== 'Allow') continue;
    const subs: { op: string; values: string[] }[] = [];
    for (const [op, block] of Object.entries(st.Condition ?? {})) {
      for (const [k, v] of Object.entries(block)) if (k.toLowerCase() === subKey) subs.push({ op, values: asList(v).map(String) });
    }
    const exact = subs.filter((s) => s.op === 'StringEquals');
    const wider = subs.filter((s) => s.op !== 'StringEquals').flatMap((s) => s.values.map((v) => `${s.op} ${v}`));
    const extra = exact.flatMap((s) => s.values.filter((v) => v !== intent.sub));
    if (exact.length === 0 || wider.length > 0 || extra.length > 0) {
      findings.push(
        f('RF125', path, `the token rotator ${role.name} (statement ${st.Sid ?? '?'}) admits ${exact.length === 0 && wider.length === 0 ? 'ID tokens of any project and ref' : `more than ${intent.sub}`}`, {
          received: [...wider, ...extra].join(', ') || 'no sub condition',
          allowed: `StringEquals ${issuerHostPath}:sub ${intent.sub}`,
          ...adviceThenRegenerate('the rotator trusts only the project and branch of operations.rotation'),
          deploymentFix: `make the trust of ${role.name} pin the sub with StringEquals ${issuerHostPath}:sub = ${intent.sub} only (the project and branch of the rotation pipeline), with no wider condition`,
        }),
      );
    }
  }
  // The requests name no principal: each is made from one prepared (empty) principal, so one without context keys allocates no context of its own.
  const anonymous = new PreparedPrincipal(undefined);
  const identity = { identity: role.policiesCompiled };
  const may = (req: Request) => role.policiesCompiled.length > 0 && evaluatePolicies(identity, anonymous.request(req.action, req.resource, req.context)) === 'allow';
  const regions = [...new Set(intent.parameters.map((p) => p.region))].sort();
  const instance = (region: string, group: string): Request => ({
    action: 'ssm:SendCommand',
    resource: `arn:${partition}:ec2:${region}:${intent.accountId}:instance/i-0123456789abcdef0`,
    context: { [`ssm:resourceTag/aws:autoscaling:groupName`]: group },
  });
  // RF127: every step of rotation is allowed on what the rotator is made for.
  const missing: string[] = [];
  for (const p of intent.parameters) {
    for (const action of ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:AddTagsToResource', 'ssm:ListTagsForResource']) {
      if (!may({ action, resource: p.arn })) missing.push(`${action} on ${p.arn}`);
    }
    if (p.kmsKeyArn !== undefined) {
      for (const action of ['kms:Decrypt', 'kms:Encrypt']) {
        if (!may({ action, resource: p.kmsKeyArn, context: { 'kms:ViaService': `ssm.${p.region}.amazonaws.com`, 'kms:EncryptionContext:PARAMETER_ARN': p.arn } })) missing.push(`${action} on ${p.kmsKeyArn} for ${p.arn}`);
      }
    }
  }
  for (const region of regions) {
    if (!may({ action: 'ssm:SendCommand', resource: `arn:${partition}:ssm:${region}::document/AWS-RunShellScript` })) missing.push(`ssm:SendCommand on AWS-RunShellScript in ${region}`);
    for (const g of intent.managerGroups) if (!may(instance(region, g))) missing.push(`ssm:SendCommand on the managers of ${g} in ${region}`);
  }
  if (intent.parameters.length > 0 && !may({ action: 'ssm:GetCommandInvocation', resource: '*' })) missing.push('ssm:GetCommandInvocation');
  // Kubernetes Secret stores: the client needs each cluster's endpoint and CA.
  for (const c of intent.kubernetes?.clusters ?? []) if (!may({ action: 'eks:DescribeCluster', resource: c.arn })) missing.push(`eks:DescribeCluster on ${c.arn}`);
  for (const m of missing) findings.push(f('RF127', path, `the token rotator ${role.name} cannot ${m}`, { fix: 'regenerate', deploymentFix: `allow the token rotator ${role.name} ${m}` }));
  // RF126: look-alikes of each step are refused.
  const region = regions[0] ?? 'us-east-1';
  const own = new Set(intent.parameters.map((p) => p.arn));
  // A parameter beside the first token parameter (its last path segment replaced): a grant on the token's folder or any wider path reaches it.
  const first = intent.parameters[0]?.arn;
  const beside = first !== undefined && first.includes('/') ? `${first.slice(0, first.lastIndexOf('/'))}/${PROBE}` : undefined;
  const probes: [string, Request][] = [
    ['write another parameter', { action: 'ssm:PutParameter', resource: `arn:${partition}:ssm:${region}:${intent.accountId}:parameter/${PROBE}/other-token` }],
    ['read another parameter', { action: 'ssm:GetParameter', resource: `arn:${partition}:ssm:${region}:${intent.accountId}:parameter/${PROBE}/other-token` }],
    // The restart label (since stop 57): on another version of exactly the token parameters, never on others' parameters.
    ['label another parameter', { action: 'ssm:LabelParameterVersion', resource: `arn:${partition}:ssm:${region}:${intent.accountId}:parameter/${PROBE}/other-token` }],
    // Each SSM action the rotator holds, on a parameter beside the first token parameter: a grant on the token's folder is as wide as one on `*` for the fleets that share it.
    ...(beside !== undefined
      ? ([
          ['write a parameter beside a token parameter', { action: 'ssm:PutParameter', resource: beside }],
          ['read a parameter beside a token parameter', { action: 'ssm:GetParameter', resource: beside }],
          ['tag a parameter beside a token parameter', { action: 'ssm:AddTagsToResource', resource: beside }],
          ['label a parameter beside a token parameter', { action: 'ssm:LabelParameterVersion', resource: beside }],
        ] as [string, Request][])
      : []),
    ['read parameters by path', { action: 'ssm:GetParametersByPath', resource: `arn:${partition}:ssm:${region}:${intent.accountId}:parameter/runner-fleet` }],
    ['delete a token parameter', { action: 'ssm:DeleteParameter', resource: intent.parameters[0]?.arn ?? `arn:${partition}:ssm:${region}:${intent.accountId}:parameter/${PROBE}` }],
    ['run commands on an instance of another group', instance(region, `${PROBE}-group`)],
    ['run commands on an untagged instance', { action: 'ssm:SendCommand', resource: `arn:${partition}:ec2:${region}:${intent.accountId}:instance/i-0123456789abcdef0` }],
    ['run another SSM document', { action: 'ssm:SendCommand', resource: `arn:${partition}:ssm:${region}::document/AWS-RunPowerShellScript` }],
    ['open a session on a manager', { action: 'ssm:StartSession', resource: `arn:${partition}:ec2:${region}:${intent.accountId}:instance/i-0123456789abcdef0` }],
    ['pass a role', { action: 'iam:PassRole', resource: `arn:${partition}:iam::${intent.accountId}:role/${PROBE}` }],
  ];
  const someCluster = intent.kubernetes?.clusters[0]?.arn;
  if (someCluster !== undefined) probes.push(
    ['describe another cluster', { action: 'eks:DescribeCluster', resource: `arn:${partition}:eks:${region}:${intent.accountId}:cluster/${PROBE}` }],
    ['grant itself an access policy', { action: 'eks:AssociateAccessPolicy', resource: someCluster.replace(':cluster/', ':access-entry/') + '/role/*' }],
    ['create an access entry', { action: 'eks:CreateAccessEntry', resource: someCluster }],
    ['change the cluster configuration', { action: 'eks:UpdateClusterConfig', resource: someCluster }],
  );
  for (const key of new Set(intent.parameters.flatMap((p) => (p.kmsKeyArn !== undefined ? [p.kmsKeyArn] : [])))) {
    probes.push(
      ['decrypt with the token key outside SSM', { action: 'kms:Decrypt', resource: key, context: { 'kms:EncryptionContext:PARAMETER_ARN': [...own][0]! } }],
      ['decrypt another parameter with the token key', { action: 'kms:Decrypt', resource: key, context: { 'kms:ViaService': `ssm.${region}.amazonaws.com`, 'kms:EncryptionContext:PARAMETER_ARN': `arn:${partition}:ssm:${region}:${intent.accountId}:parameter/${PROBE}` } }],
    );
  }
  for (const [what, req] of probes) {
    if (!own.has(req.resource) || req.action === 'ssm:DeleteParameter') {
      if (may(req)) findings.push(f('RF126', path, `the token rotator ${role.name} may ${what}: ${req.action} on ${req.resource}`, { ...adviceThenRegenerate('grant the rotator only what rotation needs') }));
    }
  }
  return {
    findings,
    claim: `token rotator ${role.name} admits only ${intent.sub}, ${[
      ...(intent.parameters.length > 0 ? [`may read, write, tag and label exactly ${intent.parameters.length} token parameter(s) and run commands as root on only the managers of ${[...new Set(intent.managerGroups)].sort().join(', ')} (SSM Run Command with AWS-RunShellScript, which runs any script: a restart is what rotate sends, not all the role may send)`] : []),
      ...(intent.kubernetes ? [`may describe only cluster(s) ${intent.kubernetes.clusters.map((c) => c.apiName).join(', ')} in EKS`] : []),
    ].join(', ')}; ${probes.length} look-alike actions refused`,
  };
}
