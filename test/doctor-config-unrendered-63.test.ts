import { describe, expect, it } from 'vitest';
import { codesIn, doctorTexts, plainManager } from './helpers/doctor.js';

// A config.toml mounted from a ConfigMap that is not TOML as written: a runtime placeholder
// (RF906) or broken TOML (RF901) is said at its own line. The chain's RF903 "its config.toml is not
// in the evidence given" on top of it was wrong (the file is given; it is not readable as written)
// and said twice what one finding says (stop 63; seen in the corpus, voor/gitlab-runner-helm-imgpkg).
const notGiven = (r: ReturnType<typeof doctorTexts>) => codesIn(r, 'RF903').filter((f) => f.message.includes('its config.toml (jobs\' service account, cache) is not in the evidence given'));

describe("doctor: a mounted config.toml not readable as written is said once", () => {
  it('a runtime placeholder ${KUBERNETES_IMAGE}: RF906 at it, no RF903 "not in the evidence"', () => {
    const r = doctorTexts({ 'm.yaml': plainManager({ namespace: 'ci', kubernetes: ['namespace = "ci"', 'image = ${KUBERNETES_IMAGE}'] }).text });
    expect(codesIn(r, 'RF906').map((f) => f.message)).toEqual([expect.stringContaining('writes ${KUBERNETES_IMAGE} where a value belongs')]);
    expect(notGiven(r)).toEqual([]);
  });

  it('broken TOML: RF901 at the ConfigMap, no RF903 "not in the evidence"', () => {
    const r = doctorTexts({ 'm.yaml': plainManager({ namespace: 'ci', kubernetes: ['namespace = "ci', 'image = "alpine:3.22"'] }).text });
    expect(codesIn(r, 'RF901').map((f) => f.message)).toEqual([expect.stringContaining('is not valid TOML')]);
    expect(notGiven(r)).toEqual([]);
  });

  it('twin: a manager whose ConfigMap is not given gets RF903 "not in the evidence"', () => {
    const m = plainManager({ namespace: 'ci' });
    const r = doctorTexts({ 'm.yaml': [m.serviceAccounts, m.deployment].join('---\n') });
    expect(notGiven(r)).toHaveLength(1);
    expect(codesIn(r, 'RF906')).toEqual([]);
  });
});
