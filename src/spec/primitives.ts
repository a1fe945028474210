import { z } from 'zod';

/** Value schemas shared by the spec's sections (schema.ts re-exports them). */

/** Lower-case names used as prefixes of generated names. */
export const nameSchema = (max: number) =>
  z
    .string()
    .max(max, { message: `at most ${max} characters` })
    .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, {
      message: 'lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen',
    });

export const awsAccountIdSchema = z.string().regex(/^[0-9]{12}$/, { message: 'a 12-digit AWS account id, quoted' });
