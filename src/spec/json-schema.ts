import { z } from 'zod';
import { fleetSchema } from './fleet.js';

/** The JSON Schema editors use, generated from the same schema that parses specs. */
export function schemaJson(): Record<string, unknown> {
  const schema = z.toJSONSchema(fleetSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://runner-fleet.dev/schema/fleet.v1alpha1.json', title: 'runner-fleet Fleet (v1alpha1)' };
}
