import { z } from 'zod';

/** Value schemas shared by the spec's sections (schema.ts re-exports them). */

/** Lower-case names used as prefixes of generated names. */
export const nameSchema = (max: number) =>
  z
    .string()
    .max(max, { message: `at most ${max} characters` })
    .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, {
      message: 'lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen',
    });

export const awsAccountIdSchema = z.string().regex(/^[0-9]{12}$/, { message: 'a 12-digit AWS account id, quoted' });

/**
 * A resource of an IAM statement: an ARN (wildcards allowed) or `*`. Not a policy variable
 * (`${aws:username}`) or any `${…}`/`%{…}`: runner-fleet proves each policy before apply and its
 * evaluator cannot resolve them, and in Terraform JSON they would be read as expressions.
 */
export const iamResourceSchema = z
  .string()
  .regex(/^(\*|arn:[^\s]+)$/, { message: 'an ARN (wildcards allowed) or *' })
  .refine((s) => !/[$%]\{/.test(s), { message: 'an ARN without policy variables or Terraform expressions (${…}, %{…}): runner-fleet proves each policy before apply and cannot evaluate them; name the resources, with * and ? wildcards where needed' })
  // IAM refuses a policy whose Resource is not "*" or an ARN of six parts (MalformedPolicyDocument at apply).
  .refine((s) => s === '*' || ARN_PARTS.test(s), { message: 'not an ARN of six parts: IAM refuses the policy (MalformedPolicyDocument) when Terraform applies it', params: { allowed: 'arn:partition:service:region:account-id:resource (region and account may be empty, as in arn:aws:s3:::bucket)', fix: 'write the ARN with all six parts; the service\'s documentation ("Resource types defined by …") gives its ARN format' } })
  .refine((s) => s === '*' || !ARN_PARTS.test(s) || accountPart(s), { message: 'the account part of the ARN is no account id', params: { allowed: 'a 12-digit account id, empty, aws (AWS managed policies) or a wildcard', fix: 'write the 12-digit account id' } })
  .refine((s) => !s3BucketWithPlace(s), { message: 'an S3 bucket or object ARN with a region or an account names nothing: S3 bucket ARNs carry neither, so the grant would match no request', params: { allowed: 'arn:aws:s3:::bucket or arn:aws:s3:::bucket/key (access points, jobs and Storage Lens do carry region and account)', fix: 'drop the region and the account: arn:<partition>:s3:::<bucket>[/<key>]' } });

// arn:partition:service:region:account:resource — the resource may hold more colons.
const ARN_PARTS = /^arn:[^:\s]+:[^:\s]+:[^:\s]*:[^:\s]*:\S+$/;
const accountPart = (arn: string): boolean => {
  const account = arn.split(':')[4]!;
  return account === '' || account === 'aws' || /^\d{12}$/.test(account) || /[*?]/.test(account);
};
/** S3 resources that do carry region and account (access points, Batch Operations jobs, Storage Lens, Access Grants). */
const S3_PLACED = /^(?:accesspoint|job|storage-lens|storage-lens-group|access-grants|async-request)\//;
/** `arn:aws:s3:<region>:<account>:bucket…`: a bucket or object ARN written with a region or an account. */
function s3BucketWithPlace(arn: string): boolean {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn' || parts[2] !== 's3' || (parts[3] === '' && parts[4] === '')) return false;
  const resource = parts.slice(5).join(':');
  // A wildcard before the first `/` may stand for an access point or a job: not said to name nothing.
  const head = resource.split('/')[0]!;
  return !/[*?]/.test(head) && !S3_PLACED.test(resource);
}

/**
 * A map of the spec whose keys are the user's data (tags, node labels, environment variables,
 * IAM condition blocks). zod's record skips a key named `__proto__` without a word: it cannot
 * assign one to its result safely. A spec map parses that key like every other one, so its key
 * schema decides: a valid key stays data (an own property, written out like any other key, never
 * the prototype), an invalid one is a finding. Refinements of the map see it too.
 */
export function specMap<K extends z.core.$ZodRecordKey, V extends z.ZodType>(keyType: K, valueType: V): z.ZodRecord<K, V> {
  // Typed as the record it is (its input, output and JSON Schema are a record's).
  return new SpecMap({ type: 'record', keyType, valueType }) as unknown as z.ZodRecord<K, V>;
}

const PROTO = '__proto__';

const SpecMap: z.core.$constructor<z.ZodRecord> = z.core.$constructor('RunnerFleetSpecMap', (inst: z.ZodRecord, def: z.core.$ZodRecordDef) => {
  z.ZodRecord.init(inst, def);
  const internals = inst._zod;
  const parseOtherKeys = internals.parse.bind(internals);
  internals.parse = (payload, ctx) => {
    const input: unknown = payload.value;
    const result = parseOtherKeys(payload, ctx);
    if (result instanceof Promise) throw new z.core.$ZodAsyncError(); // spec schemas are synchronous
    if (input === null || typeof input !== 'object' || Array.isArray(input)) return result;
    const proto: unknown = Object.getPrototypeOf(input);
    if (proto !== Object.prototype && proto !== null) result.issues.push(foreignPrototype(input));
    return Object.prototype.propertyIsEnumerable.call(input, PROTO) ? addProtoKey(inst, def, result, input, ctx) : result;
  };
});

/**
 * A map from a JavaScript spec whose prototype is not Object's: `{ __proto__: { team: "a" } }`
 * in an object literal sets the prototype; it does not add a key. Its keys would be lost.
 */
function foreignPrototype(input: object): z.core.$ZodRawIssue {
  const inherited: string[] = [];
  for (const k in input) if (!Object.hasOwn(input, k)) inherited.push(k);
  const keys = inherited.length > 0 ? ` (it inherits ${inherited.slice(0, 5).map((k) => JSON.stringify(k)).join(', ')}${inherited.length > 5 ? ', ...' : ''}, which would be lost)` : '';
  return {
    code: 'custom',
    input,
    path: [],
    message: `this map has a prototype other than Object.prototype${keys}: in a JavaScript object literal, __proto__: {...} sets the prototype instead of adding a key named __proto__`,
    params: { allowed: 'a plain object whose keys are its own', fix: 'write a key named __proto__ as a computed key, ["__proto__"]: value, and other keys as plain keys of the map' },
  };
}

function addProtoKey(inst: z.ZodRecord, def: z.core.$ZodRecordDef, payload: z.core.ParsePayload, input: object, ctx: z.core.ParseContextInternal): z.core.ParsePayload {
  const out: unknown = payload.value;
  // The record answered "not a mapping": nothing to add to.
  if (out === null || typeof out !== 'object') return payload;
  const key = def.keyType._zod.run({ value: PROTO, issues: [] }, ctx);
  if (key instanceof Promise) throw new z.core.$ZodAsyncError();
  if (key.issues.length > 0) {
    payload.issues.push({ code: 'invalid_key', origin: 'record', issues: key.issues.map((i) => z.core.util.finalizeIssue(i, ctx, z.core.config())), input: PROTO, path: [PROTO], inst });
    return payload;
  }
  const parsed = def.valueType._zod.run({ value: (input as Record<string, unknown>)[PROTO], issues: [] }, ctx);
  if (parsed instanceof Promise) throw new z.core.$ZodAsyncError();
  if (parsed.issues.length > 0) payload.issues.push(...z.core.util.prefixIssues(PROTO, parsed.issues));
  // Keys in the order written, as for every other map (tags come out in the user's order).
  const entries = new Map(Object.entries(out as Record<string, unknown>));
  entries.set(PROTO, parsed.value);
  for (const k of Object.keys(out)) delete (out as Record<string, unknown>)[k];
  const order = [...Object.keys(input).filter((k) => entries.has(k)), ...entries.keys()];
  for (const k of order) {
    if (!Object.hasOwn(out, k)) Object.defineProperty(out, k, { value: entries.get(k), enumerable: true, writable: true, configurable: true });
  }
  return payload;
}

/** A GitLab group's full path, and a project's (the spec's own shapes). */
export const GROUP_PATH = /^[A-Za-z0-9_.][A-Za-z0-9_.\-/]*$/;
export const PROJECT_PATH = /^[A-Za-z0-9_.][A-Za-z0-9_.\-/]*\/[A-Za-z0-9_.-]+$/;
