import { readFileSync } from 'node:fs';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, parseDocument, type Document, type Node } from 'yaml';
import { AggregateConfigError } from './aggregate-config-error.js';
import { ConfigError } from './errors.js';
import type { Bootstrap__Output } from './generated/envoy/config/bootstrap/v3/Bootstrap.js';
import { findDuplicateJsonKey } from './json-duplicate-keys.js';
import { isJsonObject } from './json-struct.js';
import { messageFromJson, type MessageFromJsonOptions } from './json-to-message.js';
import { describeJson } from './proto-json-scalars.js';

export { unpackAny } from './unpack-any.js';

const BOOTSTRAP = 'envoy.config.bootstrap.v3.Bootstrap';

/** YAML 1.2 core schema (`yes` is a string), unique keys, anchors capped against alias bombs. */
const YAML_OPTIONS = {
  version: '1.2',
  schema: 'core',
  merge: true,
  uniqueKeys: true,
  intAsBigInt: true,
  prettyErrors: true,
  strict: true,
} as const;
const MAX_ALIAS_COUNT = 100;

/** Integers come from YAML as BigInt; like Envoy, keep those beyond 2^53 exact by turning them into strings. */
function reviveInt(_key: unknown, v: unknown): unknown {
  if (typeof v !== 'bigint') return v;
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
}

interface ParsedText {
  readonly value: unknown;
  /** Line (1-based) of the node at a field path, or of its nearest existing ancestor. */
  readonly locate: (path: string) => number | undefined;
}

function fileError(fileName: string, reason: string, line?: number, path = ''): AggregateConfigError {
  return new AggregateConfigError([new ConfigError(path, reason)], { fileName, lines: [line] });
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function parseJson(text: string, fileName: string): ParsedText {
  const value: unknown = JSON.parse(text);
  const dup = findDuplicateJsonKey(text);
  if (dup) throw fileError(fileName, `duplicate key '${dup.key}'`, lineAt(text, dup.offset), dup.path);
  let located: ((path: string) => number | undefined) | undefined;
  // Line numbers are only needed on the error path: parse again with positions then (JSON is valid YAML 1.2).
  return {
    value,
    locate: (path) => {
      if (!located) {
        const lc = new LineCounter();
        const doc = parseDocument(text, { ...YAML_OPTIONS, uniqueKeys: false, lineCounter: lc });
        located = (p) => locateNode(doc, lc, p);
      }
      return located(path);
    },
  };
}

function jsonSyntaxError(text: string, fileName: string, e: unknown): AggregateConfigError {
  const message = e instanceof Error ? e.message : String(e);
  const pos = /position (\d+)/.exec(message);
  return fileError(fileName, `invalid JSON: ${message}`, pos ? lineAt(text, Number(pos[1])) : undefined);
}

function parseYaml(text: string, fileName: string): ParsedText {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { ...YAML_OPTIONS, lineCounter: lc });
  const first = docs[0];
  if (!first) throw fileError(fileName, 'the file is empty; expected an Envoy v3 Bootstrap');
  if (docs.length > 1) {
    const second = docs[1];
    const line = second?.contents?.range ? lc.linePos(second.contents.range[0]).line : undefined;
    throw fileError(fileName, `the file holds ${docs.length} YAML documents; a bootstrap file must hold exactly one`, line);
  }
  if (first.errors.length > 0) {
    const errors = first.errors.map((e) => new ConfigError('', `YAML syntax error: ${e.message.split('\n')[0] ?? e.code}`));
    const lines = first.errors.map((e) => e.linePos?.[0].line);
    throw new AggregateConfigError(errors, { fileName, lines });
  }
  let value: unknown;
  try {
    value = first.toJS({ maxAliasCount: MAX_ALIAS_COUNT, reviver: reviveInt });
  } catch (e) {
    throw fileError(fileName, `invalid YAML: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { value, locate: (path) => locateNode(first, lc, path) };
}

const SEGMENT = /(?:^|\.)([^.[\]]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;

/** Splits a field path (`a.b[0]["k.x"].@type`) into keys and indexes. */
function pathSegments(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  SEGMENT.lastIndex = 0;
  while (SEGMENT.lastIndex < path.length) {
    const m = SEGMENT.exec(path);
    if (!m) break;
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[3] !== undefined) out.push(JSON.parse(m[3]) as string);
  }
  return out;
}

function locateNode(doc: Document, lc: LineCounter, path: string): number | undefined {
  let node: unknown = doc.contents;
  let offset = isNodeWithRange(node) ? node.range[0] : undefined;
  for (const seg of pathSegments(path)) {
    if (isAlias(node)) node = node.resolve(doc);
    let next: unknown;
    let at: number | undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (pair) {
        next = pair.value;
        at = isNodeWithRange(pair.key) ? pair.key.range[0] : undefined;
      }
    } else if (isSeq(node) && typeof seg === 'number') {
      next = node.items[seg];
      at = isNodeWithRange(next) ? next.range[0] : undefined;
    }
    if (at === undefined) break;
    offset = at;
    node = next;
  }
  return offset === undefined ? undefined : lc.linePos(offset).line;
}

function isNodeWithRange(n: unknown): n is Node & { range: [number, number, number] } {
  return typeof n === 'object' && n !== null && Array.isArray((n as { range?: unknown }).range);
}

type Format = 'json' | 'yaml' | 'auto';

function formatOf(fileName: string): Format {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  return 'auto';
}

function parseText(text: string, fileName: string): ParsedText {
  const format = formatOf(fileName);
  if (format === 'yaml') return parseYaml(text, fileName);
  try {
    return parseJson(text, fileName);
  } catch (e) {
    if (e instanceof AggregateConfigError) throw e;
    if (format === 'json') throw jsonSyntaxError(text, fileName, e);
    return parseYaml(text, fileName);
  }
}

/**
 * Parses an Envoy v3 Bootstrap written in YAML or JSON (by extension `.json`/`.yaml`/`.yml`; otherwise JSON is tried
 * first, then YAML). Throws an `AggregateConfigError` naming the file, line and field path of each problem.
 */
export function parseBootstrapText(text: string, fileName: string, options: MessageFromJsonOptions = {}): Bootstrap__Output {
  const parsed = parseText(text, fileName);
  if (!isJsonObject(parsed.value)) {
    throw fileError(fileName, `expected an Envoy v3 Bootstrap object at the top level, got ${describeJson(parsed.value)}`, 1);
  }
  try {
    return messageFromJson<Bootstrap__Output>(BOOTSTRAP, parsed.value, '', options);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const errors = e instanceof AggregateConfigError ? e.errors : [e];
    throw new AggregateConfigError(errors, { fileName, lines: errors.map((x) => parsed.locate(x.path)) });
  }
}

/** Reads and parses a bootstrap file (see `parseBootstrapText`). */
export function loadBootstrapFile(fileName: string, options: MessageFromJsonOptions = {}): Bootstrap__Output {
  let text: string;
  try {
    text = readFileSync(fileName, 'utf8');
  } catch (e) {
    throw fileError(fileName, `cannot read the bootstrap file: ${e instanceof Error ? e.message : String(e)}`);
  }
  return parseBootstrapText(text, fileName, options);
}
