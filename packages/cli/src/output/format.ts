import { stringify } from 'yaml';

export type OutputFormat = 'table' | 'json' | 'yaml';

export function parseOutputFormat(value: string | undefined): OutputFormat | undefined {
  const v = value ?? 'table';
  return v === 'table' || v === 'json' || v === 'yaml' ? v : undefined;
}

/** Left-aligned columns separated by three spaces, header first (kubectl/istioctl style). */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('   ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** Writes `data` as JSON or YAML, or the table built from it. */
export function render(format: OutputFormat, data: unknown, table: () => string): string {
  if (format === 'json') return JSON.stringify(data, null, 2) + '\n';
  if (format === 'yaml') return stringify(data, { lineWidth: 0 });
  return table();
}
