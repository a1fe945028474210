// The bench fleets, one per platform and two mixed ones, shared by bench/run.js,
// bench/fingerprint.js and bench/instructions.js. null = the generated EKS fleet of bench/fleet.js;
// otherwise the example whose runners are replicated.
export const FLEETS = {
  'eks (IRSA + Pod Identity)': null,
  'eks-irsa': 'eks-irsa',
  'eks-pod-identity': 'eks-pod-identity',
  aks: 'aks-workload-identity',
  'ec2-docker': 'ec2-docker',
  'ecs-fargate': 'ecs-fargate',
  'ec2-autoscaler': 'ec2-autoscaler',
  'mixed (eks + 3 VM platforms)': 'mixed-eks-vm',
  'mixed (aws + azure)': 'mixed-aws-azure',
};

/** An example's runners replicated to n, each with its own name, namespace and cache path. */
export function replicate(spec, n) {
  const base = spec.runners;
  spec.runners = Array.from({ length: n }, (_, i) => {
    const r = JSON.parse(JSON.stringify(base[i % base.length]));
    r.name = `${r.name}-${i}`;
    if (r.placement?.namespace) r.placement.namespace = `${r.placement.namespace}-${i}`;
    if (r.cache?.path) r.cache.path = `${r.cache.path}-${i}`;
    return r;
  });
  return spec;
}
