import { noAwsCredentialsError, quietAwsSdkNotice } from './aws-sdk-env.js';
import type * as SsmModule from '@aws-sdk/client-ssm';
import { expiryText, parseExpiry, parseTokenState, type StoredToken, type TokenStore } from '../ops/ports.js';
import { TOKEN_PLACEHOLDER } from '../platforms/aws-vm/common.js';

/**
 * The token store of VM runners: the SecureString parameter the manager's boot script reads
 * (`/runner-fleet/<fleet>/<runner>/runner-token`), through the AWS SDK (loaded lazily; credentials
 * from the default chain, so a keyless identity works: instance profile, IRSA, or GitLab OIDC
 * through AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE). The runner id, expiry, state and owner are
 * tags of the parameter, written around the value in an order a stopped run is repaired from
 * (write). The manager is restarted with SSM Run Command on the instances of its Auto Scaling
 * group: it reads the parameter again into its root-only environment file and restarts
 * gitlab-runner. The command text holds the parameter name, never the token.
 */

type Ssm = typeof SsmModule;

const TAGS = { runnerId: 'runner-fleet:runner-id', expiresAt: 'runner-fleet:token-expires-at', state: 'runner-fleet:token-state', owner: 'runner-fleet:owner' } as const;

/**
 * The parameter label markRestarted puts on the version whose token's manager has restarted. A
 * label names one version: "You can't attach the same label to different versions of the same
 * parameter", and labelling another version moves it
 * (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_LabelParameterVersion.html),
 * and every PutParameter makes a new version, which no label marks until one is attached to it.
 * Letters, digits, `.`, `-`, `_`; not beginning with a digit, `aws` or `ssm` (same page).
 */
const RESTARTED = 'runner-fleet-restarted';

/** restartedVersion's answer when the identity may not read the label. */
const REFUSED = 'refused';

/** What read() says beside a `restart-owed` whose label it may not read (StoredToken.stateNote). */
const LABEL_REFUSED = `this identity may not read the label ${RESTARTED}, which marks the version whose manager restarted (AccessDeniedException on GetParameter of <name>:${RESTARTED}), so restart-owed is taken as it stands and a restart done since is redone: allow it ssm:GetParameter on the parameter, with its label selector`;

/** GetParameter's answers for a `name:label` selector no version carries (moto_server: ParameterNotFound). */
const NO_SUCH_LABEL = new Set(['ParameterNotFound', 'ParameterVersionNotFound']);

export class SsmParameterStore implements TokenStore {
  readonly label: string;
  /** The token the last read() answered and its version: markRestarted labels exactly that version. */
  private seen?: { token: string; version: number };
  private sdk?: Promise<{ ssm: Ssm; client: InstanceType<Ssm['SSMClient']> }>;

  constructor(private readonly ref: { region: string; parameter: string; autoScalingGroup: string; kmsKeyArn?: string }, private readonly clientConfig: Record<string, unknown> = {}) {
    this.label = `SSM parameter ${ref.parameter} (${ref.region})`;
  }

  private load() {
    quietAwsSdkNotice();
    this.sdk ??= import('@aws-sdk/client-ssm').then((ssm) => ({ ssm, client: new ssm.SSMClient({ region: this.ref.region, maxAttempts: 6, ...this.clientConfig }) }));
    return this.sdk;
  }

  /** An SDK failure as said to a person: no credentials with the fix, else the error's name (its text may quote request details). */
  private failure(action: string, e: unknown): Error {
    return noAwsCredentialsError(e, `${action} ${this.label}`, 'environment') ?? new Error(`cannot ${action} ${this.label}: ${(e as { name?: string }).name ?? 'error'}`, { cause: e });
  }

  async read(): Promise<StoredToken | undefined> {
    const { ssm, client } = await this.load();
    let value: string | undefined;
    let version: number | undefined;
    try {
      const out = await client.send(new ssm.GetParameterCommand({ Name: this.ref.parameter, WithDecryption: true }));
      value = out.Parameter?.Value;
      version = out.Parameter?.Version;
    } catch (e) {
      if ((e as { name?: string }).name === 'ParameterNotFound') return undefined;
      throw this.failure('read', e);
    }
    if (value === undefined || value === TOKEN_PLACEHOLDER || value === '') return undefined;
    const tags = await client.send(new ssm.ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: this.ref.parameter })).catch((e: unknown) => {
      throw this.failure('read the tags of', e);
    });
    const tag = (k: string) => tags.TagList?.find((t) => t.Key === k)?.Value;
    const id = tag(TAGS.runnerId);
    const owner = tag(TAGS.owner);
    let state = parseTokenState(tag(TAGS.state));
    let stateNote: string | undefined;
    // restart-owed, and the version read is the one markRestarted labelled: the restart is done.
    if (state === 'restart-owed' && version !== undefined) {
      const labelled = await this.restartedVersion();
      if (labelled === version) state = 'valid';
      if (labelled === REFUSED) stateNote = LABEL_REFUSED;
    }
    if (version !== undefined) this.seen = { token: value, version };
    return { token: value, ...(id && /^\d+$/.test(id) ? { runnerId: Number(id) } : {}), ...(owner && owner !== 'none' ? { owner } : {}), ...parseExpiry(tag(TAGS.expiresAt)), state, ...(stateNote !== undefined ? { stateNote } : {}) };
  }

  /**
   * The version carrying the label RESTARTED (GetParameter of `name:label`, no decryption), or
   * undefined; REFUSED when this identity is refused that read (AccessDeniedException): no label
   * is known, so the state stays `restart-owed` and a restart is redone, the safe direction,
   * rather than the whole store read as unreadable (before stop 58: `cannot read the label of`).
   */
  private async restartedVersion(): Promise<number | typeof REFUSED | undefined> {
    const { ssm, client } = await this.load();
    try {
      return (await client.send(new ssm.GetParameterCommand({ Name: `${this.ref.parameter}:${RESTARTED}` }))).Parameter?.Version;
    } catch (e) {
      const name = (e as { name?: string }).name ?? '';
      if (NO_SUCH_LABEL.has(name)) return undefined;
      if (name === 'AccessDeniedException') return REFUSED;
      throw this.failure('read the label of', e);
    }
  }

  /**
   * The token and its tags take two calls (PutParameter, AddTagsToResource): a run stopped between
   * them must leave a parameter the next run recognises as its own and repairs, never a token
   * without its owner (read as someone else's: a conflict). So the tags go first, marked `pending`
   * (a pending write: the old token stays, marked; a new token: its runner id, owner and expiry
   * beside the old value), then the value, then the state `valid` alone. A stop after the value
   * leaves this runner's new token marked pending, which `register` repairs with a reset. A
   * parameter that does not exist yet (AddTagsToResource answers InvalidResourceId) is created by
   * one PutParameter with all its tags (Tags is accepted only without Overwrite). Emptying
   * (the placeholder) writes the value first: a stop then leaves an empty store, whatever its tags.
   */
  async write(v: StoredToken): Promise<void> {
    const { ssm, client } = await this.load();
    const value = v.token === '' ? TOKEN_PLACEHOLDER : v.token;
    const send = () => client.send(new ssm.PutParameterCommand({ Name: this.ref.parameter, Value: value, Type: 'SecureString', Overwrite: true }));
    const put = async () => {
      try {
        await send();
      } catch (e) {
        if ((e as { name?: string }).name !== 'ParameterMaxVersionLimitExceeded') throw e;
        // SSM keeps 100 versions and refuses a new one while the oldest carries a label
        // (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html,
        // ParameterMaxVersionLimitExceeded: "Move the label to another version"): RESTARTED moves
        // to the latest version (no ParameterVersion: the latest), which the next version leaves unmarked.
        await client.send(new ssm.LabelParameterVersionCommand({ Name: this.ref.parameter, Labels: [RESTARTED] }));
        await send();
      }
    };
    try {
      if (v.token === '') {
        await put();
        await this.tag(v);
        return;
      }
      try {
        await this.tag({ ...v, state: 'pending' });
      } catch (e) {
        if ((e as { name?: string }).name !== 'InvalidResourceId') throw e;
        if (await this.create(value, v)) return;
        // Created by someone else meanwhile: marked like any existing parameter.
        await this.tag({ ...v, state: 'pending' });
      }
      await put();
      if (v.state !== 'pending') await this.tag(v, ['state']);
    } catch (e) {
      throw this.failure('write', e);
    }
  }

  /**
   * Creates the parameter with its tags in one call, with the cluster's tokenKmsKeyArn when it has
   * one (the manager may decrypt with that key only); false when it exists (created meanwhile). An
   * overwrite keeps the key the parameter has.
   */
  private async create(value: string, v: StoredToken): Promise<boolean> {
    const { ssm, client } = await this.load();
    try {
      await client.send(new ssm.PutParameterCommand({ Name: this.ref.parameter, Value: value, Type: 'SecureString', Tags: this.tags(v), ...(this.ref.kmsKeyArn !== undefined ? { KeyId: this.ref.kmsKeyArn } : {}) }));
      return true;
    } catch (e) {
      if ((e as { name?: string }).name === 'ParameterAlreadyExists') return false;
      throw e;
    }
  }

  private tags(v: StoredToken, only?: (keyof typeof TAGS)[]): { Key: string; Value: string }[] {
    const all: Record<keyof typeof TAGS, string> = {
      runnerId: v.runnerId !== undefined ? String(v.runnerId) : 'none',
      expiresAt: expiryText(v.expiresAt, 'none'),
      state: v.state ?? 'valid',
      owner: v.owner ?? 'none',
    };
    return (only ?? (Object.keys(TAGS) as (keyof typeof TAGS)[])).map((k) => ({ Key: TAGS[k], Value: all[k] }));
  }

  private async tag(v: StoredToken, only?: (keyof typeof TAGS)[]): Promise<void> {
    const { ssm, client } = await this.load();
    await client.send(new ssm.AddTagsToResourceCommand({ ResourceType: 'Parameter', ResourceId: this.ref.parameter, Tags: this.tags(v, only) }));
  }

  async clear(): Promise<void> {
    await this.write({ token: '', state: 'valid' });
  }

  /**
   * Marks the restart done on the version the last read() answered with `held`'s token (the one
   * the engine read before the restart, so the one the manager loaded), never on a later one: a
   * GetParameter (its value and version), then LabelParameterVersion of exactly that version with
   * RESTARTED; the state tag stays as its writer left it, and read() takes a `restart-owed` tag on
   * the labelled version for `valid`. A parameter that holds another value, or a later version
   * (any write is a PutParameter, so a new version, even of the same token), is left alone
   * (false): the manager may have loaded it, so a restart stays owed. A run that writes a token
   * between the two calls keeps its own state: the label is on the version before it. A `pending`
   * tag written meanwhile stays too: no tag is written here. Before stop 57 this was one
   * AddTagsToResource of the state tag, which has no condition (tags are not versioned): a new
   * token written between the engine's read and that call had its state overwritten with `valid`.
   * An identity that may not label (AccessDeniedException: a rotator role made before stop 57,
   * without ssm:LabelParameterVersion) writes the state tag instead: markByTag.
   */
  async markRestarted(held: StoredToken): Promise<boolean> {
    const { ssm, client } = await this.load();
    try {
      const now = (await client.send(new ssm.GetParameterCommand({ Name: this.ref.parameter, WithDecryption: true }))).Parameter;
      if (now?.Value !== held.token || now.Version === undefined) return false;
      // A `held` this store did not read (a caller's own): the version holding its token now.
      const version = this.seen?.token === held.token ? this.seen.version : now.Version;
      if (now.Version !== version) return false;
      try {
        await client.send(new ssm.LabelParameterVersionCommand({ Name: this.ref.parameter, ParameterVersion: version, Labels: [RESTARTED] }));
      } catch (e) {
        if ((e as { name?: string }).name !== 'AccessDeniedException') throw e;
        return await this.markByTag(held, version);
      }
      return true;
    } catch (e) {
      throw this.failure('write', e);
    }
  }

  /**
   * markRestarted for an identity that may not label: the state tag `valid`, which has no condition
   * (tags are not versioned; AddTagsToResource overwrites the value of a key already there and
   * leaves the others:
   * https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_AddTagsToResource.html).
   * Before stop 61 it was written unchecked. Now the window in which another run's state is
   * overwritten is narrowed on both sides: the state tag is read first, and anything but
   * `restart-owed` (a `pending` mark of a reset, or a state another run wrote) is left as it is
   * (false; `valid` already: true); after the write the version is read again, and one past
   * `version` means a token was stored meanwhile, whose own state the write may have replaced:
   * `restart-owed` goes back (the safe direction: a restart redone, never one lost) and the answer
   * is false, so the engine says the store changed. Left open: a `pending` mark written between the
   * read of the tag and the write, whose token is stored only after the version is read again.
   * A rotator role regenerated since stop 57 labels instead and has no window.
   */
  private async markByTag(held: StoredToken, version: number): Promise<boolean> {
    const { ssm, client } = await this.load();
    const tags = await client.send(new ssm.ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: this.ref.parameter }));
    const state = parseTokenState(tags.TagList?.find((t) => t.Key === TAGS.state)?.Value);
    if (state !== 'restart-owed') return state === 'valid';
    await this.tag({ ...held, state: 'valid' }, ['state']);
    const after = (await client.send(new ssm.GetParameterCommand({ Name: this.ref.parameter }))).Parameter?.Version;
    if (after === version) return true;
    await this.tag({ ...held, state: 'restart-owed' }, ['state']);
    return false;
  }

  /** Re-reads the parameter on every manager instance and restarts gitlab-runner (SSM Run Command). */
  async restartManager(): Promise<void> {
    const { ssm, client } = await this.load();
    const p = this.ref.parameter.replace(/'/g, '');
    const send = client.send(new ssm.SendCommandCommand({
      DocumentName: 'AWS-RunShellScript',
      Targets: [{ Key: 'tag:aws:autoscaling:groupName', Values: [this.ref.autoScalingGroup] }],
      Comment: 'runner-fleet rotate: reload the runner token',
      Parameters: {
        commands: [
          'set -eu',
          `token="$(aws ssm get-parameter --region '${this.ref.region}' --name '${p}' --with-decryption --query Parameter.Value --output text)"`,
          '(umask 077 && printf \'CI_SERVER_TOKEN=%s\\n\' "$token" > /etc/gitlab-runner/runner-token.env)',
          'unset token',
          'systemctl restart gitlab-runner',
        ],
      },
    }));
    await send.catch((e: unknown) => {
      throw this.failure(`restart the manager (SSM Run Command on ${this.ref.autoScalingGroup}) for`, e);
    });
  }
}
