import type { Finding } from '../spec/findings.js';
import { instancesAsLaunchTemplates } from './aws-instance.js';
import { staticKeysOnHosts } from './host-static-keys.js';
import { CODES, type Code } from '../spec/codes.js';
import type { Artifact, TerraformRoot } from '../emit/artifacts.js';
import type { EmittedRunner } from '../emit/types.js';
import type { CloudIdentity, ResolvedCluster } from '../model/types.js';
import type { IntentRunner } from '../verify/intent.js';
import { runnerSchema } from '../spec/schema.js';
import { PLATFORMS } from '../platforms/registry.js';
import { platformReadersOf } from './platform-readers.js';
import { EC2_SERVICE, instanceProfileOf, vmRunnerNames } from '../platforms/aws-vm/common.js';
import { get, getText } from '../verify/get.js';
import { awsProviderOf } from '../verify/aws-docs.js';
import { formatPosition, originAt, spanLine, type Origin } from './source.js';
import { tomlPlace } from './toml-locate.js';
import { jobFindingsByKey, laterEntriesFindings, type TomlPlace } from './config-toml-alone.js';
import { patchFileReader } from './pod-spec-patch-path.js';
import { userDataLineShown } from './user-data-place.js';
import { MARKED_ADDRESS, OWN_ACCOUNT, providerAccount, rootMark } from './hcl/eval.js';
import type { Evidence } from './evidence.js';
import { mapBodyStrings, mapRootStrings } from './root-strings.js';
import { serializeArtifact } from '../emit/serialize.js';
import { changeBody, firstKeyWrittenIn } from './key-index.js';
import { REGISTRATION_TOKEN_FLOW, flagShown } from './register-command.js';
import { canonicalUserData, findVmManagers, rekey, resolveKey, startRekeys, otherUserDataText, userDataArtifact, vmIdentity, vmKey, type ComputeDoctorReader } from './vm.js';

function finding(code: Code, path: string, message: string, extra: Partial<Finding> = {}): Finding {
  return { code, severity: CODES[code].severity, path, message, ...extra };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const first = (v: unknown): unknown => (Array.isArray(v) ? v[0] : v);

/** Where the VM inference writes what it found (the collections `inferDeployment` builds the intent from). */
export interface VmSink {
  runners: IntentRunner[];
  identities: CloudIdentity[];
  clusters: ResolvedCluster[];
  clusterOrigins: Map<number, Origin>;
  runnerOrigins: Map<number, Origin>;
  tomlAt: Map<number, TomlPlace>;
  bindingOrigins: Map<string, Origin>;
  docsRunners: Map<string, EmittedRunner>;
  summaries: Map<string, string[]>;
  findings: Finding[];
  cacheOf: (toml: unknown, origin: Origin) => IntentRunner['cache'];
  gitlab: (tokenRef: string | undefined) => Record<string, unknown>;
  /** The platforms of managers whose chain is not built: their document rules (the instance's RF711, RF715, RF720, …) run all the same. */
  documentPlatforms: Set<string>;
}

const ARN = /\barn:(aws[a-z-]*):[a-z0-9-]+:([a-z0-9-]*):(\d{12}):/;

/** Account, partition and region the roots name: the aws provider, else the first ARN of a permission policy. */
export function awsOf(ev: Evidence, root: TerraformRoot): { account?: string; partition?: string; region?: string } {
  const out: { account?: string; partition?: string; region?: string } = {};
  // The default (unaliased) configuration states the root's account; aliased ones are other accounts' (deploy targets).
  const providers = ev.terraform.awsProviders ?? [];
  for (const p of [...providers.filter((x) => x.alias === undefined), ...providers.filter((x) => x.alias !== undefined)]) {
    out.region ??= str(p.region);
    out.account ??= p.alias === undefined ? providerAccount(p) : undefined;
  }
  // The deployment's own account was read (data.aws_caller_identity, an ECS cluster's ARN) where the
  // default provider states none: the roles are in that one account, whatever other accounts ARNs name.
  if (ev.terraform.ownAccountRead === true) out.account ??= OWN_ACCOUNT;
  for (const body of Object.values(root.resource.aws_iam_role_policy ?? {})) {
    const m = ARN.exec(String(body.policy));
    if (!m) continue;
    out.partition ??= m[1]!;
    if (m[2]) out.region ??= m[2];
    out.account ??= m[3]!;
  }
  return out;
}

/**
 * The account ARNs are built with where no document states it: a stand-in equal only to itself
 * (two unknown accounts compare equal, a literal account in a policy never matches it), marked
 * `accountShown: false` in the intent so that no text shows it as an id. The evaluator's
 * OWN_ACCOUNT (data.aws_caller_identity read where no provider states the account) is the same
 * value on purpose: both are this deployment's one account that the documents do not name.
 */
export const ACCOUNT_NOT_SHOWN = OWN_ACCOUNT;

/**
 * The deployment's own account, once the doctor knows it from elsewhere (a binding's role ARN):
 * where Terraform reads it (data.aws_caller_identity of the default provider, an ECS cluster's ARN)
 * the evaluator wrote OWN_ACCOUNT, which is this same account. Rewritten in place in every ARN and
 * bare account value of the root, so the proofs compare one account with itself. `accountOf`
 * (roots given together whose runners are in several accounts): a body's own root's account, where
 * known; such a root's unstated account is its own runners', not the first root's.
 */
export function settleOwnAccount(root: TerraformRoot, account: string, accountOf?: (address: string) => string | undefined): void {
  const arn = new RegExp(`(arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:)${OWN_ACCOUNT}(?=:)`, 'g');
  const ecr = new RegExp(`(^|[^0-9])${OWN_ACCOUNT}(?=\\.dkr\\.ecr\\.)`, 'g');
  const settled = (to: string) => (v: string) => (v === OWN_ACCOUNT ? to : v.includes(OWN_ACCOUNT) ? v.replace(arn, `$1${to}`).replace(ecr, `$1${to}`) : v);
  const known = (a: string | undefined): a is string => a !== undefined && a !== OWN_ACCOUNT && /^\d{12}$/.test(a);
  if (accountOf === undefined) {
    if (!known(account)) return;
    // In place: the root's own bodies, as the proofs then read them.
    mapRootStrings(root, settled(account), { copyOnWrite: false, data: true });
    return;
  }
  // Several roots in several accounts: each body in the account of its own root (accountOf), else `account`.
  for (const [section, prefix] of [[root.resource, ''], [root.data ?? {}, 'data.']] as const) {
    for (const [type, byName] of Object.entries(section)) {
      for (const name of Object.keys(byName)) {
        const to = accountOf(`${prefix}${type}.${name}`) ?? account;
        if (known(to)) mapBodyStrings(byName, name, settled(to), { copyOnWrite: false });
      }
    }
  }
}

/**
 * VM runners (ec2-docker, ec2-autoscaler, ecs-fargate) read back: the manager is the instance of a
 * launch template whose user data writes a config.toml; its identity is the instance profile's
 * role; the jobs' identity is what the platform says (a Fargate task role, none on Docker hosts);
 * the cache is the bucket of `[runners.cache.s3]`. The platform plugins' verify hooks then prove
 * these documents exactly as they prove generated ones.
 */
export function inferVmRunners(ev: Evidence, root: TerraformRoot, known: string | undefined, sink: VmSink): { found: number; account?: string; partition?: string; region?: string; artifacts: Artifact[]; unreadable: string[]; refused: string[]; installsOnly: string[]; hostProcess: string[]; tomlsTaken: ReadonlySet<unknown> } {
  const readers = new Map<string, { type: string; doctor: ComputeDoctorReader }>();
  for (const p of PLATFORMS) {
    const doctor = platformReadersOf(p.type).computeDoctor;
    if (doctor) for (const e of doctor.executors) readers.set(e, { type: p.type, doctor });
  }
  // A manager on one EC2 instance is read as the launch template the proofs look up.
  instancesAsLaunchTemplates(ev, root);
  const { managers, findings, unreadable, refused, installsOnly, hostProcess } = findVmManagers(ev, root, new Set(readers.keys()));
  sink.findings.push(...findings);
  // Static cloud keys the runner hosts are handed through Terraform (RF937), at the hosts as written.
  const hosts = managers.map((m) => ev.terraform.renamed?.get(`aws_launch_template.${m.launchTemplateKey}`) ?? `aws_launch_template.${m.launchTemplateKey}`);
  sink.findings.push(...staticKeysOnHosts(ev, hosts));
  const isHost = new Set(hosts);
  // An instance that is no manager as read, whose provisioners upload or run a file not given: where a manager may be (RF910 says so).
  for (const [address, steps] of ev.terraform.provisioners ?? []) {
    const missing = isHost.has(address) ? undefined : steps.find((s) => s.kind !== 'line' && s.missing !== undefined);
    if (missing && missing.kind !== 'line') unreadable.push(`${address} (${formatPosition(missing.at)}): its provisioner ${missing.kind === 'file' ? '"file" uploads' : '"remote-exec" runs'} ${missing.missing!}, which is not among the files given`);
  }
  readOtherUserData(ev, root, new Set(managers.map((m) => m.launchTemplateKey)));
  const artifacts: Artifact[] = [];
  // The config.toml files a manager took (the one it boots, or its copy beside the user data's): the others are checked alone.
  const tomlsTaken = new Set<unknown>(managers.flatMap((m) => [m.toml, m.configFile?.value]));
  if (managers.length === 0) return { found: 0, artifacts, unreadable, refused, installsOnly, hostProcess, tomlsTaken };
  // The account a binding already named (settled into the root by the caller) is the roles' account.
  const aws = awsOf(ev, root);
  if (known !== undefined) aws.account = known;
  const account = aws.account ?? ACCOUNT_NOT_SHOWN;
  const partition = aws.partition ?? 'aws';
  // runner-fleet's fleet tag, among the default_tags of the provider blocks of the roots given (of the runner's own root, where several were).
  const fleetTag = (providers: readonly Record<string, unknown>[]) => providers.map((p) => get(first(p.default_tags), 'tags', 'runner-fleet-fleet')).find((t): t is string => typeof t === 'string' && !t.includes('${'));
  const have = new Set(ev.artifacts.map((a) => a.path));
  const seen = new Set(sink.runners.map((r) => r.name));
  // Two roots given together (prod/, staging/ copied from it) whose managers keep one runner name:
  // each is a runner of its own, named `<folder>/<name>`, so both are proven.
  // The folder of the manager's root: its mark's (a module that roots call each with its own
  // instance: cmdlabs/terraform-aws-gitlab-runner-scale's nine examples call `../../`, whose file is
  // one), else the folder of the file that writes it.
  const folderOf = (m: (typeof managers)[number]) => {
    const index = [...m.launchTemplateKey.matchAll(MARKED_ADDRESS)][0]?.[3];
    const rootFolder = index !== undefined ? ev.terraform.rootMarks?.get(rootMark(Number(index))) : undefined;
    if (rootFolder !== undefined) return rootFolder;
    const path = m.origin.source.path;
    return path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '.';
  };
  const foldersOf = new Map<string, Set<string>>();
  for (const m of managers) foldersOf.set(m.runner, (foldersOf.get(m.runner) ?? new Set()).add(folderOf(m)));
  if (ev.terraform.rootMarks !== undefined) for (const m of managers) if (foldersOf.get(m.runner)!.size > 1) m.runner = `${folderOf(m)}/${m.runner}`;

  // The Auto Scaling group of a launch template (the first in the map's order), found once for all
  // managers: a scan of every group per manager was quadratic. The rekeys below move groups and
  // rewrite their references, so what was found is checked when it is used, and a group moved since
  // (its key no longer in the map) sends that lookup back to the scan. No group comes to name a
  // manager's template after this: a rewrite names a key rekey moved to, and rekey never moves onto
  // a key in use, which a manager's own template key is until its turn.
  const launchTemplateOf = (b: Record<string, unknown>) => resolveKey(root, 'aws_launch_template', get(first(b.launch_template), 'id') ?? get(first(b.launch_template), 'name'));
  const groupsByTemplate = new Map<string, string[]>();
  for (const [key, b] of Object.entries(root.resource.aws_autoscaling_group ?? {})) {
    const lt = launchTemplateOf(b);
    if (lt !== undefined) groupsByTemplate.set(lt, [...(groupsByTemplate.get(lt) ?? []), key]);
  }
  const groupOf = (lt: string): [string, Record<string, unknown>] | undefined => {
    const groups = root.resource.aws_autoscaling_group ?? {};
    const found = groupsByTemplate.get(lt) ?? [];
    if (found.some((key) => !Object.hasOwn(groups, key))) return Object.entries(groups).find(([, b]) => launchTemplateOf(b) === lt);
    const still = found.filter((key) => launchTemplateOf(groups[key]!) === lt);
    const key = still.length > 1 ? Object.keys(groups).find((k) => still.includes(k)) : still[0];
    return key !== undefined ? [key, groups[key]!] : undefined;
  };
  // The rekeys below rewrite references through an index of the root as it is now (vm.ts referenceIndex).
  startRekeys(root);
  // The token parameter a manager's user data names: the first parameter of the roots whose name it writes (rekey moves none).
  const parameterIn = firstKeyWrittenIn(root.resource.aws_ssm_parameter, 'name');
  // The clusters by name (the first of each), kept as the loop adds them: a search of the list per manager grew with the folders.
  const clusterNamed = new Map<string, ResolvedCluster>();
  for (const c of sink.clusters) if (!clusterNamed.has(c.name)) clusterNamed.set(c.name, c);
  // The first manager of each runner name, with the user data it boots as read (before the loop rewrites it).
  const firstOf = new Map<string, { address: string | undefined; at: string; userData: string }>();
  for (const m of managers) {
    const reader = readers.get(m.executor)!;
    const at = formatPosition(originAt(m.origin));
    if (seen.has(m.runner)) {
      const first = firstOf.get(m.runner);
      const address = startedAs(ev, m.launchTemplateKey)?.address;
      // Instances of one resource (count or for_each: `aws_instance.this[0]`, `[1]`) are not two
      // deployments: each boots what the one block writes, so the fix is not another folder.
      const resource = (a: string | undefined) => a?.replace(/\[[^\]]*\]$/, '');
      if (first !== undefined && address !== undefined && first.address !== undefined && first.at === at && resource(address) !== address && resource(address) === resource(first.address)) {
        const alike = first.userData === m.userData;
        sink.findings.push(finding('RF903', at, `${address} is another instance of ${resource(address)!} (its count or for_each makes several), so another manager of runner ${m.runner}: the proofs read ${first.address}, and this one boots ${alike ? 'the same user data' : 'other user data (it depends on the instance)'}${alike ? '' : ', which is not proven'}`, { fix: alike ? 'nothing, where the instances are meant to be alike; to have a manager proven on its own, write it as a resource of its own' : 'write each manager as a resource of its own, or boot every instance with the same user data' }));
        continue;
      }
      sink.findings.push(finding('RF903', at, `a second manager for runner ${m.runner}; only the first is proven`, { fix: 'give one deployment per folder' }));
      continue;
    }
    seen.add(m.runner);
    firstOf.set(m.runner, { address: startedAs(ev, m.launchTemplateKey)?.address, at, userData: m.userData });
    const ltKey = m.launchTemplateKey;
    const body = m.tomlBody;
    // The user data as Terraform renders it (the lines of its config.toml are lines of it), and the
    // resource as written, whose user data source says where the user wrote each line.
    const rendered = m.userData;
    const writtenAs = ev.terraform.renamed?.get(`aws_launch_template.${ltKey}`) ?? `aws_launch_template.${ltKey}`;
    // The user data inline (a file reference resolved), its config.toml in canonical text.
    m.userData = canonicalUserData(m, serializeArtifact({ path: `runners/${m.runner}/config.toml`, format: 'toml', content: m.toml }).content);
    const templates = root.resource.aws_launch_template!;
    changeBody(templates, m.launchTemplateKey, () => {
      templates[m.launchTemplateKey] = { ...templates[m.launchTemplateKey]!, user_data: Buffer.from(m.userData, 'utf8').toString('base64') };
    });
    const lt = root.resource.aws_launch_template![m.launchTemplateKey]!;
    const ltName = str(lt.name) ?? m.launchTemplateKey;
    // With several roots, the provider blocks of the manager's own root (its launch template's, else its role's).
    const own = root.awsProvidersOf?.get(`aws_launch_template.${m.launchTemplateKey}`);
    // A key of the config.toml that boots: its line where the user wrote it (their template, script
    // or heredoc, as RF720's), else its line in the user data as rendered, or in the file.
    const source = ev.terraform.userDataSources?.get(writtenAs);
    const tomlAt: TomlPlace = (at) => {
      const flag = m.registeredFlag?.(at);
      if (!body) return { path: formatPosition(originAt(m.tomlOrigin, ...at)), where: '', ...(flag !== undefined ? { flag } : {}) };
      const place = tomlPlace(body.lines, at);
      const shown = userDataLineShown(source, rendered, spanLine({ from: body.from, ...(body.map ? { lines: body.map } : {}) }, place?.line ?? 0) + 1, `the user data of aws_launch_template.${ltKey}`);
      return { path: formatPosition(shown.place ?? originAt(m.origin, 'user_data')), where: shown.words };
    };
    // A manager whose chain is not built (its profile or role missing) still boots its config.toml:
    // what its settings let jobs do (RF301, RF309) does not depend on the manager's identity. Flags of
    // a register command are said where they are written by the flag reader (register-command.ts).
    // Said as the chain says them: the runner and the line named, and what a job that leaves its
    // container takes over in its platform's words, with the role as the files name it (`role`,
    // undefined where there is no instance profile).
    const chainless = (role: string | undefined): Finding[] => {
      sink.documentPlatforms.add(reader.type);
      if (m.registered === true) return [];
      return jobFindingsByKey(m.toml, m.tomlOrigin, reader.doctor.hostTakeOver?.(m, root, role, account === ACCOUNT_NOT_SHOWN ? undefined : account), patchFileReader(ev, m.tomlOrigin.source.path, undefined, null)).map(({ finding: f, key }) => {
        const place = tomlAt(key);
        return { ...f, path: place.path, message: `runner ${m.runner}${place.where !== '' ? `, ${place.where}` : ''}: ${f.message}` };
      });
    };
    // A manager started by an instance (or a spot request) is named so in the chain proof, not "launch template".
    const startedBy = startedAs(ev, ltKey);
    // A launch configuration fails in a new account whatever the manager's identity: said before the chain is built.
    if (startedBy?.kind === 'launch configuration') {
      sink.findings.push(finding('RF929', formatPosition(originAt(m.origin)), `runner ${m.runner}: its manager is launched from ${startedBy.address}, a launch configuration: AWS no longer develops them (no EC2 instance type released since January 1, 2023 is supported in one), and accounts created on or after October 1, 2024 cannot create one by any method, so this deployment fails in a new account`, { fix: 'move the Auto Scaling group to an aws_launch_template with the same user data, instance profile and metadata_options (http_tokens = "required"), and launch_template { id, version } on the group (AWS: Migrate your Auto Scaling groups to launch templates)' }));
    }
    const profileRef = instanceProfileOf(lt);
    const profileKey = resolveKey(root, 'aws_iam_instance_profile', profileRef);
    if (!profileKey) {
      sink.findings.push(...chainless(profileRef === undefined ? undefined : ` (instance profile ${JSON.stringify(profileRef)}, not among the files given)`));
      sink.findings.push(finding(profileRef === undefined ? 'RF911' : 'RF903', formatPosition(originAt(m.origin, 'iam_instance_profile')), profileRef === undefined ? `the manager of runner ${m.runner} (${shownStartedAs(startedAs(ev, m.launchTemplateKey)) ?? `launch template ${ltName}`}) has no instance profile: it cannot sign cache URLs or read its token, and nothing about its identity can be proven` : `the instance profile ${JSON.stringify(profileRef)} of runner ${m.runner}'s manager is not in the evidence given`, { fix: 'give the manager its own instance profile and role, and give their Terraform' }));
      continue;
    }
    const profile = root.resource.aws_iam_instance_profile![profileKey]!;
    // A profile named by Terraform at apply (name_prefix, or no name): one stand-in name, as for roles,
    // so the proofs find it under its key (before: "instance profile undefined carries no role", RF106).
    if (typeof profile.name !== 'string') {
      changeBody(root.resource.aws_iam_instance_profile!, profileKey, () => {
        profile.name = `${typeof profile.name_prefix === 'string' ? profile.name_prefix : 'terraform-'}<suffix-picked-at-apply:aws_iam_instance_profile.${profileKey}>`;
      });
    }
    const roleKey = resolveKey(root, 'aws_iam_role', profile.role);
    if (!roleKey) {
      sink.findings.push(...chainless(` ${String(profile.role)} (not among the files given)`));
      sink.findings.push(finding('RF903', formatPosition(originAt(ev.terraform.origins.get(`aws_iam_instance_profile.${profileKey}`) ?? m.origin, 'role')), `the manager role ${String(profile.role)} of runner ${m.runner} is not in the evidence given, so its trust and permissions are not proven`, { received: String(profile.role), fix: 'give its Terraform, or aws iam get-role output', subject: { kind: 'role-not-given', ref: String(profile.role), whose: 'manager', noun: 'role' } }));
      continue;
    }
    const paramKey = parameterIn(m.userData);
    const param = paramKey !== undefined ? ([paramKey, root.resource.aws_ssm_parameter![paramKey]!] as const) : undefined;
    const ownProviders = own ?? root.awsProvidersOf?.get(`aws_iam_role.${roleKey}`);
    const ownProvider = ownProviders !== undefined ? awsProviderOf(root, lt, own !== undefined ? `aws_launch_template.${m.launchTemplateKey}` : `aws_iam_role.${roleKey}`) : undefined;
    const region = str(ownProvider?.region);
    // Its own root's account, where it is not the fleet's (prod/ and staging/ in two accounts): the one
    // that root's provider states; else, where no binding named the account, that root's own unstated
    // one (ACCOUNT_NOT_SHOWN, what its data.aws_caller_identity reads) beside another root's stated one.
    const ownAccount = ownProviders !== undefined ? (providerAccount(ownProvider) ?? (known === undefined && ev.terraform.ownAccountRead === true ? ACCOUNT_NOT_SHOWN : undefined)) : undefined;
    const runnerAccount = ownAccount !== undefined && ownAccount !== account ? ownAccount : undefined;
    const fleetName = fleetTag(ownProviders ?? ev.terraform.awsProviders ?? []) ?? (param ? /^\/runner-fleet\/([^/]+)\//.exec(String(param[1].name))?.[1] : undefined) ?? 'doctor';
    const asg = groupOf(m.launchTemplateKey);
    const platformNames: Record<string, string> = {
      ...vmRunnerNames(fleetName, { name: m.runner }),
      instanceProfile: String(profile.name),
      ...(typeof lt.name === 'string' ? { managerLaunchTemplate: lt.name } : {}),
      ...(asg && typeof asg[1].name === 'string' ? { managerGroup: asg[1].name } : {}),
      ...(param ? { tokenParameter: String(param[1].name) } : {}),
      ...reader.doctor.names(m, root),
    };
    // The platform proofs find the runner's resources by runner-fleet's keys; hand-written roots use their own.
    const sgKey = resolveKey(root, 'aws_security_group', first(lt.vpc_security_group_ids));
    for (const [type, from] of [['aws_launch_template', m.launchTemplateKey], ['aws_iam_instance_profile', profileKey], ['aws_security_group', sgKey]] as const) {
      if (from) rekey(root, ev, type, from, vmKey(m.runner, 'manager'));
    }
    for (const k of reader.doctor.keys?.(m, root) ?? []) rekey(root, ev, k.type, k.from, k.to);

    let cluster = clusterNamed.get(m.cluster);
    if (!cluster) {
      cluster = { name: m.cluster, type: reader.type, cloud: 'aws', spec: { name: m.cluster, type: reader.type } };
      sink.clusterOrigins.set(sink.clusters.length, m.origin);
      sink.clusters.push(cluster);
      clusterNamed.set(cluster.name, cluster);
    }
    const keyArn = param ? str(param[1].key_id) : undefined;
    if (keyArn?.startsWith('arn:') && cluster.spec.tokenKmsKeyArn === undefined) cluster.spec.tokenKmsKeyArn = keyArn;
    // Several roots: a runner's parameter may use another key than the first runner's of the cluster.
    const ownKey = ownProviders !== undefined && keyArn?.startsWith('arn:') && keyArn !== cluster.spec.tokenKmsKeyArn ? keyArn : undefined;

    const index = sink.runners.length;
    const ids = runnerAccount !== undefined ? { accountId: runnerAccount, partition, ...(runnerAccount === ACCOUNT_NOT_SHOWN ? { accountShown: false as const } : {}) } : { accountId: account, partition, ...(aws.account === undefined || aws.account === ACCOUNT_NOT_SHOWN ? { accountShown: false as const } : {}) };
    const manager = vmIdentity(root, cluster, m.runner, 'manager', roleKey, ids, { attachment: 'instance-profile', service: EC2_SERVICE, name: String(profile.name), mechanism: 'instance-profile' });
    sink.identities.push(manager);
    sink.bindingOrigins.set(manager.key, ev.terraform.origins.get(`aws_iam_instance_profile.${vmKey(m.runner, 'manager')}`) ?? m.origin);
    const summary = [`manager ${ltName} (${at}) → instance profile ${String(profile.name)} → role ${manager.roleName}`];
    const jobs = reader.doctor.jobs(m, root);
    let jobIdentity: string | undefined;
    if (jobs) {
      const id = vmIdentity(root, cluster, m.runner, 'jobs', jobs.roleKey, ids, jobs);
      sink.identities.push(id);
      jobIdentity = id.key;
      summary.push(`jobs ${jobs.attachment} ${jobs.name} → role ${id.roleName}`);
    } else summary.push(`jobs: no identity of their own (${m.executor} executor)`);
    // The parameter is the token's where the token flag's variable is set from it (`token="$(aws ssm get-parameter --name <it> …)"`).
    let runnerTokenFlag: IntentRunner['tokenParameterFlag'];
    const tokenVar = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(getText(m.toml, 'runners', 0, 'token'))?.[1];
    const paramIsToken = param !== undefined && tokenVar !== undefined && m.userData.split('\n').some((line) => setsVariable(line, tokenVar) && line.includes(String(param[1].name)));
    if (param && m.registered === true && paramIsToken) {
      // What the parameter holds follows from the flag register reads it into: --token takes a runner
      // authentication token (glrt-, of a runner created in GitLab), --registration-token the legacy
      // registration token, with which register creates the runner itself (config.toml then keeps the
      // glrt- token GitLab answers with, not the parameter's value).
      const paramName = String(param[1].name);
      const registration = m.tokenFlag === 'registration-token';
      runnerTokenFlag = registration ? 'registration-token' : 'token';
      summary.push(`token parameter ${paramName} → gitlab-runner register ${registration ? '--registration-token: a legacy registration token' : '--token: the runner authentication token (glrt-)'}`);
      if (registration) {
        sink.findings.push(finding('RF912', formatPosition(originAt(m.tomlOrigin, 'runners', 0, 'token')), `runner ${m.runner}: the SSM parameter ${paramName} that the user data passes to gitlab-runner register ${m.tokenFlagWritten !== undefined ? flagShown({ name: 'registration-token', written: m.tokenFlagWritten }, true) : '--registration-token'} holds a legacy registration token, not a runner authentication token. The registration-token flow is ${REGISTRATION_TOKEN_FLOW}, and whoever reads the parameter can register runners that take the jobs of its project or group`, { fix: `create the runner in GitLab (its Runners settings, POST /user/runners, or gitlab_user_runner), keep its glrt- authentication token in ${paramName}, and register with --token`, received: '(a token, not shown)' }));
      }
    }
    const cache = sink.cacheOf(m.toml, m.tomlOrigin);
    if (cache) summary.push(`cache ${cache.cache}/${cache.path}`);
    sink.summaries.set(m.runner, summary);

    const parsed = runnerSchema.safeParse({ name: 'doctor', placement: { cluster: cluster.name }, gitlab: sink.gitlab(undefined) });
    if (!parsed.success) throw new Error('internal: doctor VM runner settings');
    const runner: IntentRunner = { name: m.runner, index, cluster: cluster.name, platform: reader.type, spec: { ...parsed.data, name: m.runner }, managerIdentity: manager.key, platformNames };
    if (jobIdentity) runner.jobIdentity = jobIdentity;
    // Its ARNs are in the region of its own root's provider, which another root given need not share.
    if (region !== undefined) runner.region = region;
    // And in its own root's account, with its own parameter's key.
    if (runnerAccount !== undefined) runner.account = runnerAccount;
    if (runnerAccount === ACCOUNT_NOT_SHOWN) runner.accountShown = false;
    if (ownKey !== undefined) runner.tokenKmsKeyArn = ownKey;
    if (runnerTokenFlag !== undefined) runner.tokenParameterFlag = runnerTokenFlag;
    if (!param) {
      // No SSM parameter given that the user data reads: the token proofs have nothing to stand on.
      const token = get(m.toml, 'runners', 0, 'token');
      const where = `aws_launch_template.${ltKey}`;
      // A manager that registers at boot: its command's --token, where the command is written.
      const writes = m.registered === true ? 'the `gitlab-runner register` command' : 'the config.toml';
      const flag = m.tokenFlag ?? 'token';
      // The flag as the command writes it (`-r`), else register's name for it.
      const written = m.tokenFlagWritten ?? `--${flag}`;
      const sets = (t: string) => (m.registered === true ? `passes ${written} ${JSON.stringify(t)}` : `sets token = ${JSON.stringify(t)}`);
      // --registration-token: config.toml gets the glrt- token GitLab answers at registration; the flag's value is the registration token.
      const registration = m.registered === true && flag === 'registration-token';
      const secret = registration ? 'registration token (with which anyone can register a runner that takes the jobs of its project or group)' : 'runner token';
      const fetched = m.registered === true ? `and pass it to gitlab-runner register ${written}` : 'into config.toml';
      if (typeof token === 'string' && m.unknownInUserData.some((u) => token.includes(u))) {
        sink.findings.push(finding('RF712', formatPosition(m.registered === true ? originAt(m.tomlOrigin, 'runners', 0, 'token') : originAt(m.origin, 'user_data')), `runner ${m.runner}: ${writes} in the user data of ${where} ${sets(token)}, so Terraform writes the ${secret} into the user data, where anyone allowed ${userDataReaders(startedAs(ev, ltKey)?.kind)}, and every process on the instance that reaches the instance metadata service, can read it (and it stays in the Terraform state)`, { fix: `keep the token in an SSM SecureString parameter that only the manager role may read, and have the user data fetch it at boot (aws ssm get-parameter --with-decryption) ${fetched}` }));
        runner.tokenStoreUnknown = registration ? `Terraform writes the registration token into the user data of ${where}; the runner token config.toml then holds is the one GitLab answers with, kept on the instance only` : `Terraform writes it into the user data of ${where}`;
      } else if (typeof token === 'string' && /^\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)$/.test(token)) {
        // A shell variable the user data sets at boot (TOKEN=$(aws ssm get-parameter --name …)): the
        // parameter it names, when it names one, is what the files would have to show.
        const read = /\bssm\s+get-parameters?\b[^\n]*?\s--names?[\s=]+["']?([^\s"'$]+)/.exec(m.userData)?.[1];
        const from = `which the user data sets at boot from ${read !== undefined ? `parameter ${read}, which no aws_ssm_parameter among the files given declares` : 'no aws_ssm_parameter among the files given'}`;
        runner.tokenStoreUnknown = registration
          ? `${writes} in the user data of ${where} registers with ${written} ${token}, ${from}; the runner token config.toml then holds is the one GitLab answers with, kept on the instance only`
          : `${writes} in the user data of ${where} takes the token from ${token}, ${from}`;
      } else if (typeof token === 'string' && token !== '') runner.tokenStoreUnknown = registration ? `${writes} in the user data of ${where} holds the registration token itself; the runner token config.toml then holds is the one GitLab answers with, kept on the instance only` : `${writes} in the user data of ${where} holds the token itself`;
      else runner.tokenStoreUnknown = `no aws_ssm_parameter among the files given is read by the user data of ${where}`;
      delete (runner.platformNames as Record<string, string | undefined>).tokenParameter;
    }
    if (cache) runner.cache = cache;
    // A VM runner is registered through the GitLab API (runner-fleet register, or by hand), never
    // in these files: whether it is locked and protected-only is not shown, never assumed false.
    if (m.registeredAs !== undefined) {
      // Registered at boot with a registration token written in the command: GitLab creates the runner with what the flags send.
      runner.spec = { ...runner.spec, gitlab: { ...runner.spec.gitlab, locked: m.registeredAs.locked, protectedOnly: m.registeredAs.protectedOnly } };
    } else runner.registrationUnknown = m.registered === true && m.tokenFlag === 'registration-token'
      ? 'it registers with --registration-token from a value only boot knows: with a registration token GitLab creates it with the --locked and --access-level the command sends, with a glrt- token it keeps its settings in GitLab, and which one the value is is not in the files given'
      : 'a VM runner is registered through the GitLab API (runner-fleet register), not in the files given';
    sink.runners.push(runner);
    sink.runnerOrigins.set(index, m.origin);
    sink.tomlAt.set(index, tomlAt);
    // A config.toml the user data writes (or the file it boots) with more [[runners]] entries: the manager runs them all.
    if (m.registered !== true) sink.findings.push(...laterEntriesFindings(m.toml, tomlAt, m.runner, patchFileReader(ev, m.tomlOrigin.source.path, undefined, null)));
    // The config.toml file of the runner, beside the user data's: reviewed, but not what boots.
    if (m.configFile && !have.has(`runners/${m.runner}/config.toml`)) artifacts.push({ path: `runners/${m.runner}/config.toml`, format: 'toml', content: m.configFile.value });
    sink.docsRunners.set(m.runner, { manifests: [], configToml: m.toml, pipeline: {}, ...(startedBy !== undefined ? { readFrom: { objects: 'the Terraform given', managerConfig: `${startedBy.kind} ↔ user data ↔ config.toml` } } : {}) });
    const ud = userDataArtifact(m);
    if (!have.has(ud.path)) artifacts.push(ud);
  }
  const out: { found: number; account?: string; partition?: string; region?: string; artifacts: Artifact[]; unreadable: string[]; refused: string[]; installsOnly: string[]; hostProcess: string[]; tomlsTaken: ReadonlySet<unknown> } = { found: managers.length, ...(aws.account !== undefined ? { account: aws.account } : {}), partition, artifacts, unreadable, refused, installsOnly, hostProcess, tomlsTaken };
  if (aws.region) out.region = aws.region;
  return out;
}

/**
 * The user data of the launch templates that start no manager (docker-autoscaler workers, other
 * instances), read as a manager's is (vm.ts userDataText) so the user data rules (RF720, RF712)
 * check what their instances boot with: a download piped into a shell on a host that runs jobs is
 * the same risk as on the manager. A file read with filebase64() (named, not read, in the root
 * before), a script given with file() or templatefile() (plain text where a launch template takes
 * base64; its bytes read as base64 before) and base64encode(…) of either are held as the base64 of
 * their text; what cannot be read, or is known only at apply, stays as written.
 */
function readOtherUserData(ev: Evidence, root: TerraformRoot, managerKeys: ReadonlySet<string>): void {
  const templates = root.resource.aws_launch_template;
  if (!templates) return;
  let texts: Map<string, string> | undefined;
  for (const [k, body] of Object.entries(templates)) {
    if (managerKeys.has(k) || typeof body.user_data !== 'string') continue;
    const origin = ev.terraform.origins.get(`aws_launch_template.${k}`);
    if (!origin) continue;
    if (!texts) {
      texts = new Map();
      for (const a of ev.artifacts) if (a.format === 'text') texts.set(a.path, a.content);
    }
    const read = otherUserDataText(body, origin.source.path, texts);
    if (read === undefined || 'problem' in read || read.unknown.length > 0) continue;
    const encoded = Buffer.from(read.text, 'utf8').toString('base64');
    if (encoded !== body.user_data) changeBody(templates, k, () => (templates[k] = { ...body, user_data: encoded }));
  }
}

/**
 * The resource that starts a manager when it is not a launch template: an instance or a spot
 * instance request, read as one (aws-instance.ts), with its address as written; undefined for a
 * launch template.
 */
function startedAs(ev: Evidence, key: string): { kind: 'instance' | 'spot instance request' | 'launch configuration'; address: string } | undefined {
  const written = ev.terraform.renamed?.get(`aws_launch_template.${key}`);
  if (written?.startsWith('aws_instance.')) return { kind: 'instance', address: written };
  if (written?.startsWith('aws_spot_instance_request.')) return { kind: 'spot instance request', address: written };
  if (written?.startsWith('aws_launch_configuration.')) return { kind: 'launch configuration', address: written };
  return undefined;
}

/**
 * Who can read the user data of a manager through the AWS API, by what launches it: the launch
 * template's versions (EC2 API DescribeLaunchTemplateVersions, LaunchTemplateData.UserData), a launch
 * configuration (Auto Scaling API DescribeLaunchConfigurations, LaunchConfiguration.UserData), a spot
 * request (DescribeSpotInstanceRequests, LaunchSpecification.UserData), and on every instance
 * launched, its `userData` attribute (DescribeInstanceAttribute).
 */
function userDataReaders(kind: 'instance' | 'spot instance request' | 'launch configuration' | undefined): string {
  if (kind === 'instance') return 'ec2:DescribeInstanceAttribute';
  const source = kind === 'launch configuration' ? 'autoscaling:DescribeLaunchConfigurations' : kind === 'spot instance request' ? 'ec2:DescribeSpotInstanceRequests' : 'ec2:DescribeLaunchTemplateVersions';
  return `${source} (or ec2:DescribeInstanceAttribute on the instances it launches)`;
}

const shownStartedAs = (s: ReturnType<typeof startedAs>): string | undefined => (s ? `${s.kind} ${s.address}` : undefined);

/**
 * Whether a shell line assigns `name` (`name=…`, `export name=…`, `local name=…`, indented or not).
 * By string tests, not a RegExp built from the name: a name is as long as the user data makes it,
 * and V8 refuses a pattern of some tens of thousands of characters ("Regular expression too large").
 */
export function setsVariable(line: string, name: string): boolean {
  const t = line.replace(/^[ \t]*/, '');
  if (t.startsWith(`${name}=`)) return true;
  const keyword = /^(?:export|local)[ \t]+/.exec(t);
  return keyword !== null && t.startsWith(`${name}=`, keyword[0].length);
}
