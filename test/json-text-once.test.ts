import { describe, expect, it } from 'vitest';
import { jsonTextOnce } from '../src/model/json-text.js';
import { seeded } from './helpers/rng.js';

describe('jsonTextOnce: a document JSON text written once per object', () => {
  it('is JSON.stringify of each object, the same text for the same object, its own for an equal copy', () => {
    const rand = seeded(5601);
    for (let n = 0; n < 200; n++) {
      const doc = { Version: '2012-10-17', Statement: [{ Effect: rand() < 0.5 ? 'Allow' : 'Deny', Action: [`s3:Get${Math.floor(rand() * 1000)}`], Resource: '*' }] };
      const text = jsonTextOnce(doc);
      expect(text).toBe(JSON.stringify(doc));
      expect(jsonTextOnce(doc)).toBe(text);
      const copy = structuredClone(doc);
      copy.Statement[0]!.Resource = 'arn:aws:s3:::other';
      expect(jsonTextOnce(copy)).toBe(JSON.stringify(copy));
    }
  });
});
