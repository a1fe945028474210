import { noAwsCredentialsError, quietAwsSdkNotice } from './aws-sdk-env.js';
import { createHash, createHmac } from 'node:crypto';
import type { FetchLike } from './gitlab.js';
import type { KubeApi } from './kubernetes.js';

/**
 * The Kubernetes API of an EKS cluster, reached with the caller's AWS credentials and no
 * kubeconfig (`--kube-api <cluster>=eks:<name>@<region>`; the rotation pipeline passes it):
 * eks:DescribeCluster gives the endpoint and CA; the bearer token is what `aws eks get-token`
 * prints — `k8s-aws-v1.` + base64url of an STS GetCallerIdentity URL presigned (SigV4, 60 s) with
 * the header `x-k8s-aws-id: <cluster name>` signed — which EKS resolves to the IAM role and
 * through its access entry to a Kubernetes user. A fresh token is minted for every request, so a
 * long rotation outlives no token.
 */

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** `eks:<name>@<region>` → its parts; undefined for anything else (a URL). */
export function parseEksKubeApi(value: string): { name: string; region: string } | undefined {
  const m = /^eks:([A-Za-z0-9][A-Za-z0-9_-]{0,99})@([a-z]{2}(?:-[a-z]+)+-\d)$/.exec(value);
  return m ? { name: m[1]!, region: m[2]! } : undefined;
}

type Data = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: Data) => (typeof d === 'string' ? Buffer.from(d, 'utf8') : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d));

/** SHA-256 and HMAC-SHA-256 from node:crypto, in the shape the SigV4 signer takes. */
class Sha256 {
  private h: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(private readonly secret?: Data) {
    this.h = this.make();
  }
  private make(): ReturnType<typeof createHash> | ReturnType<typeof createHmac> {
    return this.secret !== undefined ? createHmac('sha256', bytes(this.secret)) : createHash('sha256');
  }
  update(d: Data): void {
    this.h.update(bytes(d));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.h.digest()));
  }
  reset(): void {
    this.h = this.make();
  }
}

/** The bearer token of `aws eks get-token` for one cluster, signed with these credentials. */
export async function eksToken(cluster: string, region: string, credentials: AwsCredentials, signingDate = new Date()): Promise<string> {
  const { SignatureV4 } = await import('@smithy/signature-v4');
  const hostname = `sts.${region}.amazonaws.com`;
  const signer = new SignatureV4({ credentials, region, service: 'sts', sha256: Sha256 });
  const signed = await signer.presign(
    { method: 'GET', protocol: 'https:', hostname, path: '/', query: { Action: 'GetCallerIdentity', Version: '2011-06-15' }, headers: { host: hostname, 'x-k8s-aws-id': cluster } },
    { expiresIn: 60, signingDate },
  );
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(signed.query ?? {})) for (const one of [v ?? ''].flat()) query.append(k, one);
  const url = `https://${hostname}/?${query.toString()}`;
  return `k8s-aws-v1.${Buffer.from(url, 'utf8').toString('base64url')}`;
}

/** Endpoint and CA from eks:DescribeCluster, and a token provider, with the default AWS credential chain. */
export async function eksKubeApi(name: string, region: string, makeFetch: (opts: { ca: string }) => Promise<FetchLike>): Promise<KubeApi> {
  quietAwsSdkNotice();
  const { EKSClient, DescribeClusterCommand } = await import('@aws-sdk/client-eks');
  const client = new EKSClient({ region });
  const doing = `find the Kubernetes API of EKS cluster ${name} (${region}) with`;
  const out = await client.send(new DescribeClusterCommand({ name })).catch((e: unknown) => {
    throw noAwsCredentialsError(e, doing, 'environment') ?? e;
  });
  const endpoint = out.cluster?.endpoint;
  const ca = out.cluster?.certificateAuthority?.data;
  if (!endpoint || !ca) throw new Error(`EKS cluster ${name} (${region}) reported no endpoint or CA`);
  const credentials = client.config.credentials;
  return {
    server: endpoint,
    token: async () =>
      eksToken(name, region, await credentials().catch((e: unknown) => {
        throw noAwsCredentialsError(e, `sign a token for EKS cluster ${name} with`, 'environment') ?? e;
      })),
    fetch: await makeFetch({ ca: Buffer.from(ca, 'base64').toString('utf8') }),
    caName: `the cluster CA eks:DescribeCluster returned for ${name} (${region})`,
  };
}
