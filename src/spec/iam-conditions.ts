import { z } from 'zod';
import { CONDITION_OPERATORS, compilePolicy, conditionValueProblem, operatorFamily, PolicyGrammarError } from '../verify/iam/evaluator.js';
import { quoted, safeText } from './findings.js';
import { specMap } from './primitives.js';

/**
 * `jobs.permissions.aws[].conditions`: IAM condition blocks (operator → key → value(s)).
 * Everything the evaluator will later read is checked here, with a path and a fix, so a
 * condition the proofs cannot evaluate is a spec error, never an internal error.
 */

const PREFIXES = ['ForAnyValue:', 'ForAllValues:'] as const;
const CONDITION_KEY = /^[A-Za-z0-9-]+:[A-Za-z0-9_./:-]+$/;

function closestOperator(written: string): string | undefined {
  const lower = written.toLowerCase().replace(/^(forallvalues:|foranyvalue:)/, '').replace(/ifexists$/, '');
  return CONDITION_OPERATORS.find((o) => o.toLowerCase() === lower);
}

/** Splits `ForAnyValue:StringLikeIfExists` into prefix, base operator and suffix. */
function splitOperator(op: string): { prefix: string; base: string; ifExists: boolean } {
  const prefix = PREFIXES.find((p) => op.startsWith(p)) ?? '';
  let base = op.slice(prefix.length);
  const ifExists = base.endsWith('IfExists');
  if (ifExists) base = base.slice(0, -'IfExists'.length);
  return { prefix, base, ifExists };
}

/**
 * A condition block whose values `value` accepts. Job statements take strings, numbers and
 * booleans; deploy-target statements take strings only. Both get every check below.
 */
export function iamConditions<V extends z.ZodType<string | number | boolean>>(value: V) {
  return specMap(z.string(), specMap(z.string(), z.union([value, z.array(value)]))).superRefine((conditions, ctx) => {
    let bad = false;
    const issue = (path: PropertyKey[], message: string, fix: string, allowed?: string) => {
      bad = true;
      ctx.addIssue({ code: 'custom', path, message, params: { fix, ...(allowed !== undefined ? { allowed } : {}) } });
    };
    const operators = Object.entries(conditions);
    if (operators.length === 0) issue([], 'the condition block is empty', 'add operator → key → value(s), or remove conditions');
    for (const [op, block] of operators) {
      const { prefix, base, ifExists } = splitOperator(op);
      const family = operatorFamily(base);
      if (family === undefined) {
        const hint = closestOperator(op);
        issue([op], `unknown IAM condition operator ${quoted(op)}`, hint ? `did you mean "${prefix}${hint}${ifExists ? 'IfExists' : ''}"? (operators are case-sensitive)` : `use one of the operators runner-fleet can prove things about`, CONDITION_OPERATORS.join(', '));
        continue;
      }
      if (family === 'null' && (prefix !== '' || ifExists)) {
        issue([op], `${quoted(op)}: Null takes no ForAnyValue:/ForAllValues: prefix and no IfExists suffix`, 'write Null');
        continue;
      }
      const keys = Object.entries(block);
      if (keys.length === 0) issue([op], `the operator ${quoted(op)} has no condition keys`, 'add key → value(s) under the operator, or remove it');
      for (const [key, raw] of keys) {
        if (!CONDITION_KEY.test(key)) {
          issue([op, key], `${quoted(key)} is not an IAM condition key`, 'write a condition key such as aws:SourceIp or s3:prefix (no policy variables)');
          continue;
        }
        const list = Array.isArray(raw) ? raw : [raw];
        if (list.length === 0) issue([op, key], 'the value list is empty', 'give at least one value, or remove the key');
        list.forEach((v, i) => {
          const problem = conditionValueProblem(family, v);
          if (problem !== undefined) issue(Array.isArray(raw) ? [op, key, i] : [op, key], `${op} ${safeText(key, 60)}: ${problem}`, `write a value ${op} accepts: ${problem.replace(/^expected /, '')}`);
        });
      }
    }
    if (bad) return;
    // The evaluator is the judge: whatever passed the checks above must compile.
    try {
      compilePolicy({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*', Condition: conditions }] });
    } catch (e) {
      if (!(e instanceof PolicyGrammarError)) throw e;
      ctx.addIssue({ code: 'custom', path: [], message: `the condition block cannot be evaluated: ${safeText(e.message.replace(/^Statement\[0\]\.Condition\.?/, ''))}`, params: { fix: 'simplify the condition to the operators and values listed in the spec reference' } });
    }
  });
}

export const iamConditionsSchema = iamConditions(z.union([z.string(), z.number(), z.boolean()]));
