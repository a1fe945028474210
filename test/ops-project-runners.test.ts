import { describe, expect, it } from 'vitest';
import { parseMarker } from '../src/ops/marker.js';
import type { DoubleRunner } from './helpers/gitlab-double.js';
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
    // It names the project unregister names, and what to do when that one owns it (the note said "from the others" before).
    expect(text.out).toContain('  assigned to 2 projects: acme/platform/api, acme/platform/web (it runs their jobs too; unregister does not delete it until it is unassigned from acme/platform/web. GitLab refuses to unassign a runner from the project that owns it (the one it was created in) and its API does not say which one that is: if acme/platform/web owns it (the spec moved this runner to acme/platform/api while it was assigned there too), unassign it from acme/platform/api instead, delete it in the project that owns it; then unregister empties its token store)');
  });

  it('status says what unregister will say when another project owns the runner of an entry (the spec moved it): not "from the others"', async () => {
    const h = await registered();
    const [fargate] = idsOf(h, 'fargate');
    // Created in web and assigned to api, where the spec's entry now is.
    const r = h.double.runners.get(fargate!)!;
    r.projectId = h.double.projects.get('acme/platform/web')!;
    r.assigned = [h.double.projects.get('acme/platform/api')!];
    const advice = 'if acme/platform/web owns it (the spec moved this runner to acme/platform/api while it was assigned there too), unassign it from acme/platform/api instead, delete it in the project that owns it';
    const status = await h.run('status');
    const note = status.out.split('\n').find((l) => l.startsWith('  assigned to 2 projects: '))!;
    expect(note).toContain(`unregister does not delete it until it is unassigned from acme/platform/web. GitLab refuses to unassign a runner from the project that owns it (the one it was created in) and its API does not say which one that is: ${advice}; then unregister empties its token store)`);
    expect(note).not.toContain('from the others');
    const u = await h.run('unregister', { runner: 'fargate', approve: true });
    expect(u.code).toBe(1);
    expect(u.out).toContain(`Not deleted: unassign it from acme/platform/web (DELETE /projects/:id/runners/${fargate}, or Settings > CI/CD > Runners there), then run again. GitLab refuses to unassign a runner from the project that owns it (the one it was created in) and its API does not say which one that is: ${advice}, and run again to empty its token store`);
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
  /** A second runner with the marker of fargate in its project (what a create whose answer was lost leaves), with the same settings and its own token. */
  const duplicateOf = (h: Awaited<ReturnType<typeof registered>>, id: number) => {
    const settings: Partial<DoubleRunner> = { ...h.double.runners.get(id)! };
    delete settings.id;
    delete settings.token;
    delete settings.token_expires_at;
    return h.double.seedRunner({ ...settings, description: settings.description!, runner_type: settings.runner_type! });
  };

  it('deduplication keeps the duplicate assigned to several projects (it may not delete it) and deletes the others: one runner remains, its token stored', async () => {
    const h = await registered();
    const [low] = idsOf(h, 'fargate');
    const high = duplicateOf(h, low!);
    high.assigned = [h.double.projects.get('acme/platform/web')!];
    const st = JSON.parse((await h.run('status', { json: true })).out) as { runners: { name: string; ids: number[]; assignedTo?: string[] }[] };
    expect(st.runners.find((x) => x.name === 'fargate')).toMatchObject({ ids: [high.id, low], assignedTo: ['acme/platform/api', 'acme/platform/web'] });
    const r = await h.run('register', { runner: 'fargate', approve: true, json: true });
    expect(r.code, r.out + r.err).toBe(0);
    const rep = JSON.parse(r.out) as { plan: { action: string; id?: number; detail: string }[] };
    expect(rep.plan.map((x) => [x.action, x.id])).toEqual([['deduplicate', high.id], ['repair-token', high.id]]);
    expect(rep.plan[0]!.detail).toBe(`keep #${high.id} (assigned to acme/platform/api, acme/platform/web: not deleted by deduplication), delete #${low}`);
    expect(idsOf(h, 'fargate')).toEqual([high.id]);
    expect(h.stores.get('fargate')!.value).toMatchObject({ runnerId: high.id, token: h.double.runners.get(high.id)!.token, state: 'valid' });
    // Settled: nothing more to do, and status has no duplicates left.
    expect((await h.run('register', { runner: 'fargate' })).out).toContain('plan: nothing to do');
    const after = JSON.parse((await h.run('status', { json: true })).out) as { runners: { name: string; ids: number[]; store?: { state: string } }[] };
    expect(after.runners.find((x) => x.name === 'fargate')).toMatchObject({ ids: [high.id], store: { state: 'ok' } });
  });

  it('deduplication keeps the runner whose token the store holds: its manager keeps running, no reset and no restart', async () => {
    const h = await registered();
    const [low] = idsOf(h, 'fargate');
    const high = duplicateOf(h, low!);
    const store = h.stores.get('fargate')!;
    store.value = { ...store.value!, token: high.token, runnerId: high.id, expiresAt: high.token_expires_at };
    const restarts = store.restarts;
    const r = await h.run('register', { runner: 'fargate', approve: true, json: true });
    expect(r.code, r.out + r.err).toBe(0);
    const rep = JSON.parse(r.out) as { plan: { action: string; id?: number; detail: string }[] };
    expect(rep.plan).toEqual([expect.objectContaining({ action: 'deduplicate', id: high.id, detail: `keep #${high.id} (the token store holds its token), delete #${low}` })]);
    expect(idsOf(h, 'fargate')).toEqual([high.id]);
    expect(store.value).toMatchObject({ token: high.token, runnerId: high.id });
    expect(store.restarts).toBe(restarts);
    const st = JSON.parse((await h.run('status', { json: true })).out) as { runners: { name: string; ids: number[]; store?: { state: string } }[] };
    expect(st.runners.find((x) => x.name === 'fargate')).toMatchObject({ ids: [high.id], store: { state: 'ok' } });
  });
  it('an entry moved in the spec to another project its runner is assigned to: found there, and unregister does not claim which project owns it', async () => {
    const first = await registered();
    const [fargate] = idsOf(first, 'fargate');
    first.double.runners.get(fargate!)!.assigned = [first.double.projects.get('acme/platform/web')!];
    // The spec moves fargate from acme/platform/api to acme/platform/web; GitLab's owner stays api.
    const movedSpec = opsSpec();
    movedSpec.runners[2].gitlab = { project: 'acme/platform/web', tags: ['fargate'] };
    movedSpec.runners[3].gitlab = { project: 'acme/platform/web', tags: ['autoscale'] };
    const h = harness(writeSpec(movedSpec));
    Object.assign(h.double, { runners: first.double.runners, projects: first.double.projects, groups: first.double.groups });
    for (const [name, store] of first.stores) h.stores.set(name, store);
    const st = await h.run('status', { json: true });
    const row = (JSON.parse(st.out) as { runners: { name: string; scope: string; ids: number[]; assignedTo?: string[] }[]; phantoms: unknown[] });
    expect(row.runners.find((x) => x.name === 'fargate')).toMatchObject({ scope: 'project:acme/platform/web', ids: [fargate], assignedTo: ['acme/platform/api', 'acme/platform/web'] });
    expect(row.phantoms).toEqual([]);
    expect((await h.run('prune', {})).out).toContain('plan: nothing to do');
    const u = await h.run('unregister', { runner: 'fargate', approve: true });
    expect(u.code).toBe(1);
    expect(u.out).toContain(`Not deleted: unassign it from acme/platform/api (DELETE /projects/:id/runners/${fargate}, or Settings > CI/CD > Runners there), then run again. GitLab refuses to unassign a runner from the project that owns it (the one it was created in) and its API does not say which one that is: if acme/platform/api owns it (the spec moved this runner to acme/platform/web while it was assigned there too), unassign it from acme/platform/web instead, delete it in the project that owns it, and run again to empty its token store`);
    // Doing so: unassigned from web, deleted in api by hand; unregister then empties the store.
    h.double.runners.delete(fargate!);
    const again = await h.run('unregister', { runner: 'fargate', approve: true });
    expect(again.code).toBe(0);
    expect(h.stores.get('fargate')!.value).toBeUndefined();
  });
});
