// The rule kinds as config sees them: one line per rule folder (STYLE.md habit 1). config/sections/rules.ts
// builds the rule union from these schemas; ./describe.ts takes each kind's default alarm text from here.
// The evaluators are registered in ./registry.ts (the runtime side); tests/gateway/rules/registry.test.ts
// keeps both lists equal to the folders.
import * as combination from './combination/options.js';
import * as rate from './rate/options.js';
import * as stale from './stale/options.js';
import * as state from './state/options.js';
import * as threshold from './threshold/options.js';
import * as windowKind from './window/options.js';

/** Each kind's options module: `schema`, `summary` and `defaultText`. */
export const RULE_OPTIONS = [threshold, rate, state, stale, windowKind, combination] as const;

type Options = typeof RULE_OPTIONS;
type Schemas<T extends readonly { schema: unknown }[]> = { -readonly [K in keyof T]: T[K]['schema'] };

/** The schemas in registry order, as a tuple for z.discriminatedUnion. */
export const RULE_SCHEMAS = RULE_OPTIONS.map((kind) => kind.schema) as Schemas<Options>;

type UnionToIntersection<U> = (U extends unknown ? (k: U) => void : never) extends (k: infer I) => void ? I : never;

/** Every kind's override fields in one shape; a field two kinds share must be one schema (config/sections/rule-base.ts). */
export const RULE_OVERRIDE_FIELDS = mergeOverrides() as UnionToIntersection<Options[number]['overrides']>;

function mergeOverrides(): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const kind of RULE_OPTIONS) {
    for (const [key, schema] of Object.entries(kind.overrides)) {
      if (merged[key] !== undefined && merged[key] !== schema) throw new Error(`rule kinds declare override "${key}" with different schemas; share one (sharedOverrides)`);
      merged[key] = schema;
    }
  }
  return merged;
}
