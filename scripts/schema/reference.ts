// The annotated reference configs (config/reference/site.yaml and cloud-ingest.yaml, Telegraf's sample
// config): every option with its description and default, generated from the same JSON Schema the editors
// use (scripts/schema/json-schema.ts, itself from the zod schemas), so the reference cannot drift from the code.
// `npm run gen:schema` writes them; tests/config/reference.test.ts fails when they are stale.
// Everything is commented out except `version:`: the file documents, it is not a config to run as is.
import { GENERATED_SCHEMAS, renderJsonSchema } from './json-schema.js';

interface Schema {
  readonly type?: string | readonly string[];
  readonly description?: string;
  readonly default?: unknown;
  readonly const?: unknown;
  readonly enum?: readonly unknown[];
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
  readonly items?: Schema;
  readonly anyOf?: readonly Schema[];
  readonly oneOf?: readonly Schema[];
  readonly additionalProperties?: Schema | boolean;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly pattern?: string;
}

export const REFERENCES = {
  'site.yaml': { schema: 'site.schema.json', title: 'lastmile site config (gateway): every option, its default and what it does' },
  'cloud-ingest.yaml': { schema: 'cloud-ingest.schema.json', title: 'lastmile cloud-ingest config (township centre): every option, its default and what it does' },
} as const;

/** Depth beyond which nested objects are summarised (rule kinds inside sources inside a site). */
const MAX_DEPTH = 6;

function inline(value: unknown): string {
  return JSON.stringify(value);
}

/** "string", "number 1–247", "one of: a, b", for the comment beside an option without a default. */
function typeOf(schema: Schema): string {
  if (schema.const !== undefined) return inline(schema.const);
  if (schema.enum) return `one of: ${schema.enum.map((v) => String(v)).join(', ')}`;
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return variants.map(typeOf).join(' | ');
  const type: string = typeof schema.type === 'string' ? schema.type : schema.type ? schema.type.join('|') : 'any';
  if (type === 'integer' || type === 'number') {
    // zod's int() adds ±MAX_SAFE_INTEGER bounds, which say nothing to an installer.
    const min = schema.minimum !== undefined && Math.abs(schema.minimum) < 1e12 ? schema.minimum : undefined;
    const max = schema.maximum !== undefined && Math.abs(schema.maximum) < 1e12 ? schema.maximum : undefined;
    const range = min !== undefined || max !== undefined ? ` ${min ?? ''}–${max ?? ''}` : '';
    return `${type === 'integer' ? 'whole number' : 'number'}${range}`;
  }
  if (type === 'array') return `list of ${schema.items ? typeOf(schema.items) : 'any'}`;
  if (type === 'object') return schema.properties ? 'mapping' : 'mapping of name → value';
  return type;
}

function comment(lines: string[], indent: string, text: string): void {
  for (const line of text.split('\n')) lines.push(`${indent}# ${line}`.trimEnd());
}

/** The object's options, commented out, one block each. */
function renderObject(lines: string[], schema: Schema, depth: number, skip: readonly string[] = []): void {
  const indent = '  '.repeat(depth);
  const required = new Set(schema.required ?? []);
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    if (skip.includes(key)) continue;
    if (child.description) comment(lines, indent, child.description);
    const need = required.has(key) && child.default === undefined ? ' (required)' : '';
    const variants = child.anyOf ?? child.oneOf;
    if (child.type === 'object' && child.properties && depth < MAX_DEPTH) {
      lines.push(`${indent}# ${key}:${need}`);
      renderObject(lines, child, depth + 1);
    } else if (child.type === 'array' && child.items && (child.items.properties || child.items.anyOf || child.items.oneOf) && depth < MAX_DEPTH) {
      lines.push(`${indent}# ${key}:${need}${child.default !== undefined ? `   # default ${inline(child.default)}` : ''}`);
      renderItem(lines, child.items, depth + 1);
    } else if (variants && variants.some((v) => v.properties) && depth < MAX_DEPTH) {
      lines.push(`${indent}# ${key}:${need}${child.default !== undefined ? `   # default ${inline(child.default)}` : ''}`);
      renderVariants(lines, variants, depth + 1);
    } else if (child.default !== undefined) {
      lines.push(`${indent}# ${key}: ${inline(child.default)}`);
    } else {
      lines.push(`${indent}# ${key}:   # ${typeOf(child)}${need}`);
    }
    if (depth === 0) lines.push('');
  }
}

/** One list item: its fields under "- ", or each form it can take. */
function renderItem(lines: string[], item: Schema, depth: number): void {
  const variants = item.anyOf ?? item.oneOf;
  if (variants) return renderVariants(lines, variants, depth, '- ');
  const indent = '  '.repeat(depth);
  lines.push(`${indent}# - (each item)`);
  renderObject(lines, item, depth + 1);
}

/** A union: each form, named by its discriminator (`type: tcp`) where it has one. */
function renderVariants(lines: string[], variants: readonly Schema[], depth: number, bullet = ''): void {
  const indent = '  '.repeat(depth);
  for (const variant of variants) {
    const tag = Object.entries(variant.properties ?? {}).find(([, s]) => s.const !== undefined);
    const name = tag ? `${tag[0]}: ${inline(tag[1].const)}` : variant.properties ? 'form' : typeOf(variant);
    lines.push(`${indent}# ${bullet}${name}${variant.description ? `   — ${variant.description}` : ''}`);
    if (variant.properties) renderObject(lines, variant, depth + 1, tag ? [tag[0]] : []);
  }
}

/** The reference YAML text for one config, stable across runs. */
export function renderReference(name: keyof typeof REFERENCES): string {
  const { schema: schemaName, title } = REFERENCES[name];
  const schema = JSON.parse(renderJsonSchema(schemaName as keyof typeof GENERATED_SCHEMAS)) as Schema;
  const lines = [
    `# yaml-language-server: $schema=../schema/${schemaName}`,
    `# ${title}.`,
    '# GENERATED from the zod schemas by `npm run gen:schema`; do not edit (tests/config/reference.test.ts).',
    '# Every option is commented out with its default (or its type when it has none); "(required)" marks',
    '# what a config must give. Copy what you need into your own config; examples: config/examples/.',
    '',
  ];
  const version = schema.properties?.version;
  if (version?.description) comment(lines, '', version.description);
  lines.push(`version: ${inline(version?.const ?? 1)}`, '');
  renderObject(lines, schema, 0, ['version']);
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
