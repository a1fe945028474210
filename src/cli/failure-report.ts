import { createHash } from 'node:crypto';

/**
 * The report of a doctor that could not run (exit 2: the command or an input is wrong; 70: an
 * internal error) in a format for machines, so a CI job that uploads it gets a valid file that
 * says what happened instead of an empty one. `error` is the problem as stderr says it.
 */
export function failureReport(format: 'sarif' | 'codequality', error: string, exitCode: 2 | 70, version: string): string {
  const what = exitCode === 2 ? 'the command or an input is wrong: nothing was analysed' : 'internal error: the analysis did not finish';
  if (format === 'codequality') {
    const checkName = exitCode === 2 ? 'runner-fleet-doctor-input' : 'runner-fleet-doctor-internal-error';
    return `${JSON.stringify([{
      description: `runner-fleet doctor exited ${exitCode} (${what}): ${error}`,
      check_name: checkName,
      fingerprint: createHash('sha256').update(`${checkName}\0${error}`).digest('hex'),
      // Nothing was checked, so nothing can be taken as fine: the highest severity.
      severity: 'blocker',
      location: { path: '.', lines: { begin: 1 } },
    }], null, 2)}\n`;
  }
  // SARIF 2.1.0 §3.20: an invocation whose executionSuccessful is false and whose
  // toolExecutionNotifications hold the error tells consumers the (empty) results are not a clean bill.
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'runner-fleet doctor', version, informationUri: 'https://gitlab.com', rules: [] } },
        invocations: [
          {
            executionSuccessful: false,
            exitCode,
            exitCodeDescription: what,
            toolExecutionNotifications: [{ level: 'error', message: { text: error } }],
          },
        ],
        results: [],
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
