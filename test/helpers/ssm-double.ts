import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';

/**
 * A double of the SSM API calls the token store makes, over HTTP in the AWS JSON 1.1 protocol the
 * SDK speaks (POST /, `X-Amz-Target: AmazonSSM.<Operation>`, a JSON body; errors are 400 with
 * `__type` naming the error), following the API reference
 * (https://docs.aws.amazon.com/systems-manager/latest/APIReference/):
 * - GetParameter: `Parameter { Name, Type, Value, Version }`; ParameterNotFound when absent.
 * - PutParameter: a new Version; without Overwrite an existing name is ParameterAlreadyExists;
 *   Tags only when it creates the parameter.
 * - AddTagsToResource: adds the tags given, a key already there gets the new value, the value and
 *   other tags stay; InvalidResourceId when the parameter does not exist.
 * - ListTagsForResource: `TagList`. SendCommand: `Command { CommandId }` (nothing runs here).
 * - LabelParameterVersion: attaches labels to `ParameterVersion` (the latest when absent), moving
 *   each from the version that had it (one version per label); ParameterVersionNotFound for a
 *   version that does not exist. GetParameter of `name:label` answers the labelled version
 *   (ParameterNotFound for a label no version has, as moto_server does); its Value only when that
 *   is the latest (the double keeps no older values).
 * - PutParameter over 100 versions while the oldest kept (latest − 99) carries a label:
 *   ParameterMaxVersionLimitExceeded, nothing written.
 * Signatures are not checked. `refuse` answers AccessDeniedException to the operations it names,
 * `refuseWhen` to the requests it picks (one GetParameter of `name:label`, say), as AWS does: 400,
 * `__type` AccessDeniedException, a message naming the action and the resource
 * (https://docs.aws.amazon.com/systems-manager/latest/APIReference/CommonErrors.html). `hang` makes a request never answered (the call a process stopped
 * in); what it would have done is not done, as with a process killed before it was sent.
 */
export interface SsmCall {
  op: string;
  input: Record<string, unknown>;
}

export interface SsmParameter {
  value: string;
  version: number;
  tags: Map<string, string>;
  /** Label → the version it is attached to. */
  labels?: Map<string, number>;
}

export class SsmDouble {
  readonly parameters = new Map<string, SsmParameter>();
  readonly calls: SsmCall[] = [];
  /** Called for each request; true: it is never answered (and not applied). */
  hang?: (call: SsmCall) => boolean;
  /** Awaited before a request is answered (another writer's calls may run meanwhile). */
  before?: (call: SsmCall) => Promise<void> | void;
  /** Operations answered AccessDeniedException (an identity without that permission). */
  refuse = new Set<string>();
  /** Requests answered AccessDeniedException (an identity refused that one request). */
  refuseWhen?: (call: SsmCall) => boolean;
  private server?: Server;
  private readonly open = new Set<ServerResponse>();

  /** A copy of every parameter (what the store holds at this moment). */
  snapshot(): Map<string, SsmParameter> {
    return new Map([...this.parameters].map(([k, p]) => [k, { ...p, tags: new Map(p.tags), labels: new Map(p.labels) }]));
  }

  restore(s: Map<string, SsmParameter>): void {
    this.parameters.clear();
    for (const [k, p] of s) this.parameters.set(k, { ...p, tags: new Map(p.tags), labels: new Map(p.labels) });
  }

  async listen(): Promise<string> {
    this.server = createServer((req, res) => this.serve(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): void {
    for (const r of this.open) r.destroy();
    this.server?.close();
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const op = String(req.headers['x-amz-target'] ?? '').replace(/^AmazonSSM\./, '');
      const input = (chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString()) : {}) as Record<string, unknown>;
      const call = { op, input };
      this.calls.push(call);
      if (this.hang?.(call)) {
        this.open.add(res);
        res.on('close', () => this.open.delete(res));
        return;
      }
      void Promise.resolve(this.before?.(call)).then(() => {
        const [status, body] = this.refuse.has(op) || this.refuseWhen?.(call) ? [400, { __type: 'AccessDeniedException', message: `User: arn:aws:sts::123456789012:assumed-role/acme-token-rotator/ci is not authorized to perform: ssm:${op} on resource: arn:aws:ssm:eu-central-1:123456789012:parameter${typeof input.Name === 'string' ? input.Name : ''} because no identity-based policy allows the ssm:${op} action` }] : this.answer(call);
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      });
    });
  }

  private answer({ op, input }: SsmCall): [number, unknown] {
    const fail = (type: string, message: string): [number, unknown] => [400, { __type: type, message }];
    const named = input.Name ?? input.ResourceId;
    const [name = '', selector] = (typeof named === 'string' ? named : '').split(':');
    const p = this.parameters.get(name);
    const tagList = (m: Map<string, string>) => [...m].map(([Key, Value]) => ({ Key, Value }));
    switch (op) {
      case 'GetParameter': {
        if (!p) return fail('ParameterNotFound', 'ParameterNotFound');
        const version = selector === undefined ? p.version : /^\d+$/.test(selector) ? Number(selector) : p.labels?.get(selector);
        if (version === undefined) return fail('ParameterNotFound', 'ParameterNotFound');
        if (version < 1 || version > p.version) return fail('ParameterVersionNotFound', 'ParameterVersionNotFound');
        return [200, { Parameter: { Name: name, Type: 'SecureString', Value: version === p.version ? p.value : '(an older version)', Version: version, ...(selector !== undefined ? { Selector: `:${selector}` } : {}) } }];
      }
      case 'LabelParameterVersion': {
        if (!p) return fail('ParameterNotFound', 'ParameterNotFound');
        const version = typeof input.ParameterVersion === 'number' ? input.ParameterVersion : p.version;
        if (version < 1 || version > p.version) return fail('ParameterVersionNotFound', 'ParameterVersionNotFound');
        p.labels ??= new Map();
        for (const l of input.Labels as string[]) p.labels.set(l, version);
        return [200, { InvalidLabels: [], ParameterVersion: version }];
      }
      case 'PutParameter': {
        const tags = (input.Tags as { Key: string; Value: string }[] | undefined) ?? [];
        if (p && input.Overwrite !== true) return fail('ParameterAlreadyExists', 'The parameter already exists.');
        if (p && tags.length > 0) return fail('ValidationException', 'Tags cannot be specified with Overwrite');
        if (p && p.version >= 100 && [...(p.labels?.values() ?? [])].includes(p.version - 99)) return fail('ParameterMaxVersionLimitExceeded', `Version ${p.version - 99}, the oldest version, can't be deleted because it has a label associated with it.`);
        if (p) {
          p.value = typeof input.Value === 'string' ? input.Value : '';
          p.version++;
          return [200, { Version: p.version, Tier: 'Standard' }];
        }
        this.parameters.set(name, { value: typeof input.Value === 'string' ? input.Value : '', version: 1, tags: new Map(tags.map((t) => [t.Key, t.Value])) });
        return [200, { Version: 1, Tier: 'Standard' }];
      }
      case 'AddTagsToResource':
        if (!p) return fail('InvalidResourceId', 'The resource ID is not valid.');
        for (const t of input.Tags as { Key: string; Value: string }[]) p.tags.set(t.Key, t.Value);
        return [200, {}];
      case 'ListTagsForResource':
        if (!p) return fail('InvalidResourceId', 'The resource ID is not valid.');
        return [200, { TagList: tagList(p.tags) }];
      case 'SendCommand':
        return [200, { Command: { CommandId: `cmd-${this.calls.length}`, DocumentName: input.DocumentName, Status: 'Pending' } }];
      default:
        return fail('InvalidAction', `the SSM double has no ${op}`);
    }
  }
}

/**
 * An SsmDouble listening for the tests of one file (vitest's beforeAll/afterAll around them):
 * `const ssm = useSsmDouble();` at the top, then `ssm.double` and `ssm.endpoint` inside the tests
 * (each throws if read before beforeAll has run).
 */
export function useSsmDouble(): { readonly double: SsmDouble; readonly endpoint: string } {
  let live: { double: SsmDouble; endpoint: string } | undefined;
  beforeAll(async () => {
    const double = new SsmDouble();
    live = { double, endpoint: await double.listen() };
  });
  afterAll(() => live?.double.close());
  const get = () => {
    if (!live) throw new Error('useSsmDouble: the SSM double is used before beforeAll ran');
    return live;
  };
  return {
    get double() {
      return get().double;
    },
    get endpoint() {
      return get().endpoint;
    },
  };
}
