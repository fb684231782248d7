import { LineCounter, parseAllDocuments } from 'yaml';

export interface ParsedDocument {
  readonly value: unknown;
  /** 1-based line where the document starts. */
  readonly line: number;
}

export type ParsedFile =
  | { readonly ok: true; readonly documents: readonly ParsedDocument[] }
  | { readonly ok: false; readonly line: number | undefined; readonly reason: string };

const YAML_OPTIONS = { version: '1.2', schema: 'core', merge: true, uniqueKeys: true, strict: true } as const;
const MAX_ALIAS_COUNT = 100;

/** Parses a multi-document YAML (or JSON) file; empty documents (`---` separators, comments) are skipped. */
export function parseYamlDocuments(text: string): ParsedFile {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { ...YAML_OPTIONS, lineCounter: lc });
  if (!Array.isArray(docs)) return { ok: true, documents: [] };
  const out: ParsedDocument[] = [];
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err) return { ok: false, line: err.linePos?.[0].line, reason: err.message.split('\n')[0] ?? err.message };
    if (doc.contents === null) continue;
    const start = doc.contents.range?.[0] ?? 0;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      return { ok: false, line: lc.linePos(start).line, reason: (e as Error).message };
    }
    if (value === null || value === undefined) continue;
    out.push({ value, line: lc.linePos(start).line });
  }
  return { ok: true, documents: out };
}
