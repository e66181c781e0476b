// YAML + zod with errors an installer can act on: every problem in one readable line naming the file,
// line, column and config path, all problems at once (not the first only).
import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { yamlMessage, zodMessage } from './config-messages.js';
import { LastmileError } from './errors.js';

export type ConfigPath = readonly (string | number)[];

export interface ConfigIssue {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path: ConfigPath;
  readonly message: string;
}

/** Thrown (or returned) with every issue found; message is the issues, one per line. */
export class ConfigError extends LastmileError {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super('CONFIG_INVALID', issues.map(formatIssue).join('\n'));
    this.name = 'ConfigError';
  }
}

/** `sources[2].poll` */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out === '' ? '(top level)' : out;
}

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.file}:${issue.line}:${issue.column} ${formatPath(issue.path)}: ${issue.message}`;
}

/** A parsed YAML document that can say where any config path is. */
export class YamlSource {
  private readonly lineCounter = new LineCounter();
  readonly doc: Document;

  constructor(
    readonly file: string,
    private readonly text: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lineCounter, prettyErrors: false, uniqueKeys: true });
  }

  static read(file: string): YamlSource {
    return new YamlSource(file, readFileSync(file, 'utf8'));
  }

  /**
   * The first syntax error (bad indentation, duplicate keys, tabs) with its position. Only the first: the
   * parser's later errors are the same slip seen again further down (issue 20: one slip gave 11). An
   * unclosed `{`/`[` is reported at its own line, where the parser only notices it a line later.
   */
  syntaxIssues(): ConfigIssue[] {
    const first = [...this.doc.errors].sort((a, b) => a.pos[0] - b.pos[0])[0];
    if (!first) return [];
    const message = first.message.split('\n')[0]!;
    const opener = /^Flow (map|sequence)/.test(message) ? this.unclosedBefore(first.pos[0], /^Flow map/.test(message) ? '{' : '[') : undefined;
    const pos = this.lineCounter.linePos(opener ?? first.pos[0]);
    return [{ file: this.file, line: pos.line, column: pos.col, path: [], message: yamlMessage(first.code, message) }];
  }

  /** Offset of the last `open` before `offset` that its closing bracket does not match (quotes ignored). */
  private unclosedBefore(offset: number, open: '{' | '['): number | undefined {
    const close = open === '{' ? '}' : ']';
    const openers: number[] = [];
    let quote: string | undefined;
    for (let i = 0; i < offset && i < this.text.length; i++) {
      const c = this.text[i]!;
      if (quote) {
        if (c === quote) quote = undefined;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '#' && (i === 0 || /\s/.test(this.text[i - 1]!))) {
        while (i < offset && this.text[i] !== '\n') i++;
      } else if (c === '\n') quote = undefined;
      else if (c === open) openers.push(i);
      else if (c === close) openers.pop();
    }
    return openers.at(-1);
  }

  value(): unknown {
    return this.doc.toJS({ maxAliasCount: 100 });
  }

  /** Makes an issue at `path`; `key` names an unknown key under it, located at the key itself. */
  issue(path: ConfigPath, message: string, key?: string): ConfigIssue {
    const offset = this.offsetOf(path, key);
    const pos = this.lineCounter.linePos(offset);
    return { file: this.file, line: pos.line, column: pos.col, path: key === undefined ? path : [...path, key], message };
  }

  /** Source offset of the deepest node that exists along `path` (a missing key points at its parent). */
  private offsetOf(path: ConfigPath, key?: string): number {
    let node: unknown = this.doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (const part of path) {
      const child = childOf(node, part);
      if (child === undefined) return offset;
      node = child.value;
      offset = child.keyOffset ?? rangeStart(node) ?? offset;
      const valueOffset = rangeStart(node);
      if (valueOffset !== undefined && !isMap(node) && !isSeq(node)) offset = valueOffset;
    }
    if (key !== undefined) {
      const child = childOf(node, key);
      if (child?.keyOffset !== undefined) return child.keyOffset;
    }
    return offset;
  }
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null)?.range;
  return range ? range[0] : undefined;
}

function childOf(node: unknown, part: string | number): { value: unknown; keyOffset: number | undefined } | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const keyValue = keyNode && 'value' in keyNode ? (keyNode as { value: unknown }).value : keyNode;
      if (String(keyValue) === String(part)) return { value: pair.value, keyOffset: rangeStart(keyNode) };
    }
    return undefined;
  }
  if (isSeq(node) && typeof part === 'number') {
    const item = node.items[part];
    return item === undefined ? undefined : { value: item, keyOffset: rangeStart(item) };
  }
  return undefined;
}

/** Turns zod's issues into located config issues (unknown keys: one issue per key, at the key). */
export function zodIssues(source: YamlSource, error: z.ZodError): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path.filter((part): part is string | number => typeof part !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) issues.push(source.issue(path, `没有 "${key}" 这个键（检查拼写） / unknown key "${key}" (check spelling; see config/schema/)`, key));
      continue;
    }
    issues.push(source.issue(path, describeZodIssue(issue)));
  }
  return issues;
}

function describeZodIssue(issue: z.core.$ZodIssue): string {
  return zodMessage(issue);
}

export type Parsed<T> = { ok: true; value: T; source: YamlSource } | { ok: false; issues: ConfigIssue[] };

/** Parses YAML text and validates it against `schema`; syntax errors stop before validation. */
export function parseWithSchema<S extends z.ZodType>(file: string, text: string, schema: S): Parsed<z.infer<S>> {
  const source = new YamlSource(file, text);
  const syntax = source.syntaxIssues();
  if (syntax.length > 0) return { ok: false, issues: syntax };
  const result = schema.safeParse(source.value());
  if (!result.success) return { ok: false, issues: sortIssues(zodIssues(source, result.error)) };
  return { ok: true, value: result.data, source };
}

export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}

/** Freezes a validated config so nothing changes it after start-up. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as object)) deepFreeze(child);
  }
  return value;
}
