import { describe, expect, it } from 'vitest';
import { parseMarker } from '../src/ops/marker.js';
import { harness, opsSpec, writeSpec } from './helpers/ops-world.js';

/**
 * Project runners assigned to several projects. GET /projects/:id/runners lists every project
 * runner assigned to the project: its own, and those another project owns and assigned to it
 * too (POST /projects/:id/runners). GET /runners/:id names the projects it is assigned to, not
 * which one owns it; GitLab lets only an administrator delete a runner assigned to more than one.
 */
const spec = opsSpec();
// fargate in acme/platform/api, autoscale in acme/platform/web: two projects of one fleet.
spec.runners[3].gitlab = { project: 'acme/platform/web', tags: ['autoscale'] };
const file = writeSpec(spec);

async function registered(opts: { admin?: boolean } = {}) {
  const h = harness(file);
  h.double.addProject('acme/platform/web');
  if (opts.admin === true) Object.assign(h.double.opts, { admin: true });
  expect((await h.run('register', { approve: true })).code).toBe(0);
  return h;
}

const idsOf = (h: Awaited<ReturnType<typeof registered>>, runner: string) => [...h.double.runners.values()].filter((r) => parseMarker(r.description)?.runner === runner).map((r) => r.id);

describe('a project runner assigned to several projects', () => {
  it('is each entry\'s own in its project: the runner of api assigned to web too is not taken for web\'s, and status names the projects', async () => {
    const h = await registered();
    const [fargate] = idsOf(h, 'fargate');
    const [autoscale] = idsOf(h, 'autoscale');
    h.double.runners.get(fargate!)!.assigned = [h.double.projects.get('acme/platform/web')!];
    const r = await h.run('status', { json: true });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as { runners: { name: string; ids: number[]; assignedTo?: string[] }[]; phantoms: unknown[] };
    expect(report.phantoms).toEqual([]);
    expect(report.runners.find((x) => x.name === 'autoscale')).toMatchObject({ ids: [autoscale] });
    expect(report.runners.find((x) => x.name === 'autoscale')!.assignedTo).toBeUndefined();
    expect(report.runners.find((x) => x.name === 'fargate')).toMatchObject({ ids: [fargate], assignedTo: ['acme/platform/api', 'acme/platform/web'] });
    const text = await h.run('status');
    expect(text.out).toContain('  assigned to 2 projects: acme/platform/api, acme/platform/web (it runs their jobs too; unregister does not delete it until it is unassigned from the others)');
  });

  it.each([
    ['a Maintainer, whom GitLab refuses', false],
    ['an administrator, whom GitLab would let delete it everywhere', true],
  ])('unregister does not delete it, says from where to unassign it, and keeps its token (%s)', async (_, admin) => {
    const h = await registered({ admin });
    const [fargate] = idsOf(h, 'fargate');
    h.double.runners.get(fargate!)!.assigned = [h.double.projects.get('acme/platform/web')!];
    const u = await h.run('unregister', { runner: 'fargate', approve: true });
    expect(u.code).toBe(1);
    expect(u.out).toContain(`failed  delete fargate #${fargate}: runner #${fargate} is assigned to 2 projects (acme/platform/api, acme/platform/web): deleting it would take it from all of them, and GitLab lets only an administrator delete a runner assigned to more than one project. Not deleted: unassign it from acme/platform/web (DELETE /projects/:id/runners/${fargate}, or Settings > CI/CD > Runners there), then run again`);
    expect(u.out).toContain('skipped clear-token fargate');
    expect(h.double.runners.has(fargate!)).toBe(true);
    expect(h.stores.get('fargate')!.value?.runnerId).toBe(fargate);
    // Unassigned from web, it goes.
    h.double.runners.get(fargate!)!.assigned = [];
    expect((await h.run('unregister', { runner: 'fargate', approve: true })).code).toBe(0);
    expect(h.double.runners.has(fargate!)).toBe(false);
  });

  it('prune does not delete a phantom assigned to several projects either', async () => {
    const h = await registered();
    const api = h.double.projects.get('acme/platform/api')!;
    const web = h.double.projects.get('acme/platform/web')!;
    const old = h.double.seedRunner({ runner_type: 'project_type', projectId: api, assigned: [web], description: 'old [runner-fleet:acme/retired]' });
    const p = await h.run('prune', { approve: true });
    expect(p.code).toBe(1);
    expect(p.out).toContain(`failed  delete retired #${old.id}: runner #${old.id} is assigned to 2 projects (acme/platform/api, acme/platform/web)`);
    expect(p.out).toContain('unassign it from every project but the one that owns it (GitLab refuses to unassign the owner)');
    expect(h.double.runners.has(old.id)).toBe(true);
  });
});
