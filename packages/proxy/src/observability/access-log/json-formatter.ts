import { ConfigError, joinPath } from '@weft/api/lite';
import type { AccessLogContext } from './context.js';
import { parseFormat, type Formatter } from './formatter.js';
import type { FormatPart, OperatorEnv } from './operators.js';

export interface JsonFormatOptions {
  /**
   * Typed output (SubstitutionFormatString `json_format`, FileAccessLog `typed_json_format`): a value that is one
   * numeric operator prints as a JSON number, a missing one as null. Untyped (legacy FileAccessLog `json_format`):
   * every value is a string and missing values print `-`.
   */
  typed: boolean;
  omitEmptyValues?: boolean;
  sortProperties?: boolean;
  contentType?: string;
}

/** A compiled JSON node; serialised by hand so each line is one pass of string concatenation. */
type Node =
  | { readonly kind: 'object'; readonly entries: ReadonlyArray<{ readonly key: string; readonly node: Node }> }
  | { readonly kind: 'list'; readonly items: readonly Node[] }
  | { readonly kind: 'const'; readonly json: string }
  | { readonly kind: 'single'; readonly part: FormatPart }
  | { readonly kind: 'parts'; readonly parts: readonly FormatPart[] };

/** Envoy's format dictionaries (`json_format`). Each line is one JSON object followed by `\n`. */
export class JsonFormatter implements Formatter {
  private readonly root: Node;
  private readonly typed: boolean;
  private readonly omitEmpty: boolean;
  readonly contentType: string;

  constructor(format: Record<string, unknown>, path: string, env: OperatorEnv, options: JsonFormatOptions) {
    this.typed = options.typed;
    this.omitEmpty = options.omitEmptyValues === true;
    this.contentType = options.contentType || 'application/json';
    this.root = compileNode(format, path, env, options.sortProperties === true);
  }

  format(ctx: AccessLogContext): string {
    return `${this.serialize(this.root, ctx) ?? '{}'}\n`;
  }

  /** JSON text of a node, or undefined when it should be omitted (omit_empty_values). */
  private serialize(node: Node, ctx: AccessLogContext): string | undefined {
    switch (node.kind) {
      case 'const':
        return node.json;
      case 'single': {
        const v = node.part.value(ctx);
        if (v === null) return this.omitEmpty ? undefined : this.typed ? 'null' : '"-"';
        if (typeof v === 'number') return this.typed ? String(v) : `"${v}"`;
        if (v === '' && this.omitEmpty) return undefined;
        return JSON.stringify(v);
      }
      case 'parts': {
        let s = '';
        for (const p of node.parts) {
          const v = p.value(ctx);
          s += v === null ? (this.omitEmpty ? '' : '-') : typeof v === 'number' ? String(v) : v;
        }
        if (s === '' && this.omitEmpty) return undefined;
        return JSON.stringify(s);
      }
      case 'list': {
        let s = '[';
        let first = true;
        for (const item of node.items) {
          const v = this.serialize(item, ctx) ?? 'null';
          s += first ? v : `,${v}`;
          first = false;
        }
        return `${s}]`;
      }
      case 'object': {
        let s = '{';
        let first = true;
        for (const e of node.entries) {
          const v = this.serialize(e.node, ctx);
          if (v === undefined) continue;
          s += first ? `${e.key}:${v}` : `,${e.key}:${v}`;
          first = false;
        }
        if (first && this.omitEmpty && node !== this.root) return undefined;
        return `${s}}`;
      }
    }
  }
}

function compileNode(value: unknown, path: string, env: OperatorEnv, sort: boolean): Node {
  if (typeof value === 'string') {
    const parts = parseFormat(value, path, env);
    if (parts.length === 1 && !(parts[0] as FormatPart).isLiteral) return { kind: 'single', part: parts[0] as FormatPart };
    if (parts.every((p) => p.isLiteral)) return { kind: 'const', json: JSON.stringify(parts.map((p) => p.text).join('')) };
    return { kind: 'parts', parts };
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return { kind: 'const', json: JSON.stringify(value) };
  if (Array.isArray(value)) return { kind: 'list', items: value.map((v, i) => compileNode(v, joinPath(path, i), env, sort)) };
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    if (sort) keys.sort();
    return {
      kind: 'object',
      entries: keys.map((k) => ({
        key: JSON.stringify(k),
        node: compileNode((value as Record<string, unknown>)[k], joinPath(path, k), env, sort),
      })),
    };
  }
  throw new ConfigError(path, 'json_format values must be strings, numbers, booleans, lists or nested structs');
}
