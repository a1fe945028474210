import { describe, expect, it } from 'vitest';
import { userDataFilePath } from '../src/platforms/aws-vm/user-data.js';
import { userDataText } from '../src/doctor/vm.js';
import { userDataOf } from '../src/platforms/aws-vm/common.js';
import type { FleetDocuments } from '../src/emit/types.js';
import { join } from 'node:path';
import { doctor } from '../src/doctor/index.js';
import { corpusFiles } from './helpers/doctor.js';

/**
 * Issue 10b, item 5: the doctor (userDataText) and the platform (userDataOf) each recognised a
 * launch template's user data file with a regex of their own. One reader now serves both: the
 * doctor resolves the file beside the module it reads, the platform from terraform/aws of its
 * synth layout.
 */
const SCRIPT = '#!/bin/bash\nset -euo pipefail\n';

describe('one reader of the file a launch template user_data names', () => {
  it.each([
    ['${filebase64("${path.module}/user-data.sh")}', 'runner', 'runner/user-data.sh'],
    ['${base64encode(file("${path.module}/scripts/boot.sh"))}', 'infra/runner', 'infra/runner/scripts/boot.sh'],
    ['${filebase64("${path.module}/../../ec2/docker/user-data.sh")}', 'terraform/aws', 'ec2/docker/user-data.sh'],
    ['${base64encode(file("${path.module}/./../shared/boot.sh"))}', 'a/b', 'a/shared/boot.sh'],
    ['${filebase64("${path.module}/user-data.sh")}', '', 'user-data.sh'],
    ['${filebase64("${path.module}/user-data.sh")}', '/builds/acme/infra', '/builds/acme/infra/user-data.sh'],
    ['${base64encode(file("${path.module}/../boot.sh"))}', '/builds/acme/infra', '/builds/acme/boot.sh'],
  ])('%s from %s is %s', (value, dir, path) => {
    expect(userDataFilePath(value, dir)?.path).toBe(path);
  });

  it.each([
    '${filebase64("${path.module}/user-data.sh"))}',
    '${base64encode(file("${path.module}/user-data.sh")}',
    '${filebase64("/etc/user-data.sh")}',
    '${templatefile("${path.module}/user-data.sh.tftpl", {})}',
    'IyEvYmluL2Jhc2gK',
  ])('%s is no file reference', (value) => {
    expect(userDataFilePath(value, 'runner')).toBeUndefined();
  });

  it('the doctor and the platform read the same reference through it, each from its own folder', () => {
    const doctorRead = userDataText({ user_data: '${filebase64("${path.module}/user-data.sh")}' }, 'runner/main.tf', new Map([['runner/user-data.sh', SCRIPT]]));
    expect(doctorRead).toEqual({ text: SCRIPT, unknown: [] });
    const docs: FleetDocuments = { artifacts: [{ path: 'ec2/docker/user-data.sh', format: 'text', content: SCRIPT }], runners: new Map() };
    expect(userDataOf(docs, { user_data: '${base64encode(file("${path.module}/../../ec2/docker/user-data.sh"))}' })).toEqual({ text: SCRIPT });
    expect(userDataOf(docs, { user_data: '${filebase64("${path.module}/../../ec2/other/user-data.sh")}' })).toEqual({ problem: 'user_data names ec2/other/user-data.sh, which is not generated', missingFile: '../../ec2/other/user-data.sh' });
  });
});

describe('the doctor given a folder by its absolute path', () => {
  it('reads the user data file a .tf.json names beside it (runner-fleet doctor /builds/acme/infra), as it does by a relative path', () => {
    const files = corpusFiles(join(import.meta.dirname, 'doctor', 'corpus', 'ec2-docker-hand-written'));
    const relative = doctor(files);
    const absolute = doctor(files.map((f) => ({ ...f, path: `/builds/acme/infra/${f.path}` })));
    expect(relative.chains.size).toBe(1);
    expect(absolute.chains.size).toBe(1);
    expect(absolute.findings.map((f) => f.code)).toEqual(relative.findings.map((f) => f.code));
    expect(absolute.findings.map((f) => f.code)).not.toContain('RF910');
  });
});
