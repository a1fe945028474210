// The benchmark fleet shared by bench/run.js and bench/doctor.js: n runners, half on an IRSA EKS
// cluster and half on a Pod Identity one (namespaces shared by every 50th runner), all sharing
// one S3 cache, each with two job statements (ECR login and its own input bucket).
export function fleet(n) {
  const runners = [];
  for (let i = 0; i < n; i++) {
    runners.push({
      name: `r${i}`,
      placement: { cluster: i % 2 === 0 ? 'irsa' : 'podid', namespace: `ns-${i % 50}` },
      gitlab: { group: `acme/team-${i % 20}`, tags: [`t${i}`], protectedOnly: i % 10 === 0 },
      cache: { name: 'shared' },
      jobs: { permissions: { aws: [{ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }, { actions: ['s3:GetObject'], resources: [`arn:aws:s3:::inputs-${i}/*`] }] } },
    });
  }
  return {
    apiVersion: 'runner-fleet/v1alpha1',
    kind: 'Fleet',
    metadata: { name: 'bench' },
    gitlab: { url: 'https://gitlab.com' },
    aws: { accountId: '123456789012', region: 'eu-central-1' },
    clusters: [
      { name: 'irsa', type: 'eks', oidcIssuer: 'https://oidc.eks.eu-central-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF' },
      { name: 'podid', type: 'eks', oidcIssuer: 'https://oidc.eks.eu-central-1.amazonaws.com/id/FEDCBA9876543210FEDCBA9876543210', identity: 'pod-identity' },
    ],
    caches: [{ name: 'shared', type: 's3', bucket: 'bench-runner-cache' }],
    runners,
  };
}
