/** One problem found in a config resource: where (file, resource, field path) and why. */
export interface ConfigIssue {
  readonly file: string;
  /** `Kind/namespace/name` when the document could be identified. */
  readonly resource?: string;
  /** Field path inside the resource (`spec.http[0].timeout`); empty for the whole document. */
  readonly path: string;
  readonly reason: string;
  /** 1-based line of the document start in the file, when known. */
  readonly line?: number;
  /** Warnings are reported but do not stop the resource from being applied. */
  readonly severity: 'error' | 'warning';
}

export function formatIssue(i: ConfigIssue): string {
  const where = i.line !== undefined ? `${i.file}:${i.line}` : i.file;
  const res = i.resource ? ` ${i.resource}` : '';
  return `${where}:${res} ${i.path ? `${i.path}: ` : ''}${i.reason}`;
}
