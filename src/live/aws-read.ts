import { noAwsCredentialsError, quietAwsSdkNotice } from './aws-sdk-env.js';
import type * as IamModule from '@aws-sdk/client-iam';
import type * as EksModule from '@aws-sdk/client-eks';
import { AWS_READ_OPERATIONS, AwsReadError, type AwsReadOperation, type AwsReadPort } from '../doctor/aws-port.js';

/**
 * The doctor's live AWS reads (`runner-fleet doctor --aws`), through the AWS SDK loaded lazily
 * (credentials from the default chain, or `--profile`). Read-only by construction: the only
 * command classes this module names are the Get/List/Describe commands below, and a middleware on
 * every client refuses any command outside `AWS_READ_OPERATIONS` before it is signed or sent.
 */

type Iam = typeof IamModule;
type Eks = typeof EksModule;

export interface AwsReadOptions {
  region?: string;
  profile?: string;
  /** Extra SDK client configuration (tests: endpoint and static test credentials of an emulator). */
  clientConfig?: Record<string, unknown>;
  /** Called for every command the SDK is about to send (tests record the operations). */
  observe?: (service: 'iam' | 'eks', commandName: string) => void;
}

const ALLOWED = new Set<string>([...AWS_READ_OPERATIONS.iam, ...AWS_READ_OPERATIONS.eks].map((op) => `${op}Command`));

type Sender = (input: Record<string, unknown>) => Promise<Record<string, unknown>>;

function commands(iam: Iam, eks: Eks, iamClient: IamModule.IAMClient, eksClient: EksModule.EKSClient): Record<AwsReadOperation, Sender> {
  // The commands are typed by the SDK; the port hands plain records to the pure doctor code.
  type AnyCommand = new (input: never) => object;
  const viaIam = (C: AnyCommand): Sender => (input) => (iamClient.send as (c: object) => Promise<Record<string, unknown>>)(new C(input as never));
  const viaEks = (C: AnyCommand): Sender => (input) => (eksClient.send as (c: object) => Promise<Record<string, unknown>>)(new C(input as never));
  return {
    GetRole: viaIam(iam.GetRoleCommand),
    ListRolePolicies: viaIam(iam.ListRolePoliciesCommand),
    GetRolePolicy: viaIam(iam.GetRolePolicyCommand),
    ListAttachedRolePolicies: viaIam(iam.ListAttachedRolePoliciesCommand),
    GetPolicy: viaIam(iam.GetPolicyCommand),
    GetPolicyVersion: viaIam(iam.GetPolicyVersionCommand),
    GetOpenIDConnectProvider: viaIam(iam.GetOpenIDConnectProviderCommand),
    ListPodIdentityAssociations: viaEks(eks.ListPodIdentityAssociationsCommand),
    DescribePodIdentityAssociation: viaEks(eks.DescribePodIdentityAssociationCommand),
    ListAccessEntries: viaEks(eks.ListAccessEntriesCommand),
    ListAssociatedAccessPolicies: viaEks(eks.ListAssociatedAccessPoliciesCommand),
  };
}

const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnauthorizedException', 'AuthorizationError']);
const NOT_FOUND = new Set(['NoSuchEntity', 'NoSuchEntityException', 'ResourceNotFoundException', 'NotFoundException']);

/** A read-only AWS port for the doctor. The SDK is imported on the first call, never before. */
export function awsReadClient(opts: AwsReadOptions = {}): AwsReadPort {
  const guard = (service: 'iam' | 'eks', name: string | undefined) => {
    if (name === undefined || !ALLOWED.has(name)) throw new Error(`internal: the doctor may only read; refused ${service}:${String(name)}`);
    opts.observe?.(service, name);
  };
  let loaded: Promise<Record<AwsReadOperation, Sender>> | undefined;
  const load = () => {
    quietAwsSdkNotice();
    loaded ??= Promise.all([import('@aws-sdk/client-iam'), import('@aws-sdk/client-eks')]).then(([iam, eks]) => {
      const config = { maxAttempts: 6, ...(opts.region ? { region: opts.region } : {}), ...(opts.profile ? { profile: opts.profile } : {}), ...opts.clientConfig };
      // IAM is global; its SDK still wants a region to sign with.
      const iamClient = new iam.IAMClient({ region: 'us-east-1', ...config });
      const eksClient = new eks.EKSClient(config);
      const options = { step: 'initialize', name: 'runnerFleetDoctorReadOnly', priority: 'high' } as const;
      iamClient.middlewareStack.add((next, context) => (args) => {
        guard('iam', context.commandName);
        return next(args);
      }, options);
      eksClient.middlewareStack.add((next, context) => (args) => {
        guard('eks', context.commandName);
        return next(args);
      }, options);
      return commands(iam, eks, iamClient, eksClient);
    });
    return loaded;
  };
  return {
    async read(op, input) {
      const send = (await load())[op];
      try {
        return await send(input);
      } catch (e) {
        const name = (e as { name?: string }).name ?? 'Error';
        const message = e instanceof Error ? e.message : String(e);
        // No credentials or no region: no read can succeed; the command cannot run as asked.
        const missing = noAwsCredentialsError(e, 'read with', 'flags');
        if (missing) throw missing;
        const kind = DENIED.has(name) ? 'denied' : NOT_FOUND.has(name) ? 'not-found' : 'failed';
        throw new AwsReadError(op, kind, name, kind === 'failed' ? message.split('\n')[0]!.slice(0, 200) : undefined);
      }
    },
  };
}
