/**
 * A Kubernetes API server double for the four calls the Secret store and the rollout restart
 * make, behind a real HTTP server so the store's real fetch path runs. Shapes and status codes
 * follow the Kubernetes API reference; each handler names its page.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; resourceVersion?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  [k: string]: unknown;
}

const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

export class KubeDouble {
  readonly secrets = new Map<string, Obj>();
  readonly deployments = new Map<string, Obj>();
  readonly requests: string[] = [];
  /** Called before each PUT of a Secret: lets a test write in between (a concurrent writer). */
  beforePut?: () => void;
  /** Answer the next N requests with 503. */
  unavailable = 0;
  /** Answer the next N requests with 429 (API Priority and Fairness rejecting a request). */
  throttled = 0;
  /** The Retry-After header of those 429 and 503 answers (the API server sends one with both). */
  retryAfter?: string;
  /** The namespaces that exist; undefined: any (a create into a namespace not listed is 404, as the API server answers). */
  namespaces?: Set<string>;
  /** How long every request but a GET waits for its answer (a slow write: an interrupt can arrive meanwhile). */
  writeDelayMs = 0;
  private version = 1;
  private server?: Server;

  /** `bearer` undefined: no authentication asked (as behind kubectl proxy, or a proxy that authenticates). */
  constructor(readonly bearer: string | undefined) {}

  addDeployment(namespace: string, name: string): void {
    this.deployments.set(`${namespace}/${name}`, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace, resourceVersion: String(this.version++) }, spec: { template: { metadata: { annotations: {} } } } });
  }

  bump(o: Obj): void {
    o.metadata.resourceVersion = String(this.version++);
  }

  /** Listens on loopback: plain http, or https with `tls` (a certificate for 127.0.0.1). */
  async listen(tls?: { key: string; cert: string }): Promise<string> {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const delay = req.method === 'GET' ? 0 : this.writeDelayMs;
        if (delay > 0) setTimeout(answer, delay);
        else answer();
      });
      const answer = () => {
        const send = (code: number, obj: unknown, headers: Record<string, string> = {}) => {
          res.writeHead(code, { 'content-type': 'application/json', ...headers });
          res.end(JSON.stringify(obj));
        };
        this.requests.push(`${req.method} ${req.url}`);
        if (this.bearer !== undefined && req.headers.authorization !== `Bearer ${this.bearer}`) return send(401, status(401, 'Unauthorized', 'Unauthorized'));
        const wait: Record<string, string> = this.retryAfter !== undefined ? { 'retry-after': this.retryAfter } : {};
        if (this.throttled > 0) {
          this.throttled--;
          return send(429, status(429, 'TooManyRequests', 'Too many requests, please try again later.'), wait);
        }
        if (this.unavailable > 0) {
          this.unavailable--;
          return send(503, status(503, 'ServiceUnavailable', 'the server is currently unable to handle the request'), wait);
        }
        const url = new URL(req.url!, 'http://x');
        let m = /^\/api\/v1\/namespaces\/([^/]+)\/secrets(?:\/([^/]+))?$/.exec(url.pathname);
        if (m) {
          const [, ns, name] = m;
          const key = `${ns}/${name}`;
          // https://kubernetes.io/docs/reference/kubernetes-api/config-and-storage-resources/secret-v1/#get-read-the-specified-secret
          if (req.method === 'GET' && name) {
            const s = this.secrets.get(key);
            return s ? send(200, s) : send(404, status(404, 'NotFound', `secrets "${name}" not found`));
          }
          // .../secret-v1/#create-create-a-secret — 201; 409 AlreadyExists
          if (req.method === 'POST' && !name) {
            // The NamespaceLifecycle admission plugin: no objects in a namespace that does not exist.
            if (this.namespaces !== undefined && !this.namespaces.has(ns!)) return send(404, { ...status(404, 'NotFound', `namespaces "${ns}" not found`), details: { name: ns, kind: 'namespaces' } });
            const o = JSON.parse(body) as Obj;
            const k = `${ns}/${o.metadata.name}`;
            if (this.secrets.has(k)) return send(409, status(409, 'AlreadyExists', `secrets "${o.metadata.name}" already exists`));
            o.metadata.namespace = ns!;
            this.bump(o);
            this.secrets.set(k, o);
            return send(201, o);
          }
          // .../secret-v1/#update-replace-the-specified-secret — 200; 409 Conflict on a stale resourceVersion
          if (req.method === 'PUT' && name) {
            this.beforePut?.();
            const cur = this.secrets.get(key);
            if (!cur) return send(404, status(404, 'NotFound', `secrets "${name}" not found`));
            const o = JSON.parse(body) as Obj;
            if (o.metadata.resourceVersion !== undefined && o.metadata.resourceVersion !== cur.metadata.resourceVersion) {
              return send(409, status(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again'));
            }
            this.bump(o);
            this.secrets.set(key, o);
            return send(200, o);
          }
        }
        m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)$/.exec(url.pathname);
        // https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/deployment-v1/#get-read-the-specified-deployment
        if (m && req.method === 'GET') {
          const d = this.deployments.get(`${m[1]}/${m[2]}`);
          return d ? send(200, d) : send(404, status(404, 'NotFound', `deployments.apps "${m[2]}" not found`));
        }
        // https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/deployment-v1/#patch-partially-update-the-specified-deployment
        if (m && req.method === 'PATCH') {
          const d = this.deployments.get(`${m[1]}/${m[2]}`);
          if (!d) return send(404, status(404, 'NotFound', `deployments.apps "${m[2]}" not found`));
          const ct = req.headers['content-type'] ?? '';
          if (!['application/strategic-merge-patch+json', 'application/merge-patch+json', 'application/json-patch+json', 'application/apply-patch+yaml'].includes(ct)) return send(415, status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`));
          const patch = JSON.parse(body) as { spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } };
          const tm = (d.spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata;
          Object.assign(tm.annotations, patch.spec?.template?.metadata?.annotations ?? {});
          this.bump(d);
          return send(200, d);
        }
        return send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
      };
    };
    this.server = tls ? createHttpsServer({ key: tls.key, cert: tls.cert }, handler) : createServer(handler);
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `${tls ? 'https' : 'http'}://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  close(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
