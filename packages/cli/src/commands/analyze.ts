import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { analyzeResources, DirectorySource, type ConfigIssue } from '@weft/control-plane';
import { formatTable, parseOutputFormat, render } from '../output/format.js';

export const ANALYZE_HELP = `Usage: weft analyze <dir> [options]

Loads a directory of Istio resources once (as 'weft control-plane --config-dir' would) and reports:
  errors    schema errors and unsupported fields (the resource is not applied), VirtualService and RpcRoute
            destinations (and RpcRoute hosts) naming hosts no ServiceEntry defines, subsets no DestinationRule
            defines
  warnings  routes that can never match (after a match-less or prefix "/" route, or repeating an earlier
            route's conditions; RpcRoute rules after a rule matching every call), RpcRoute retries that never
            happen (methods not marked idempotent, a perTryTimeout not shorter than the timeout or not retried),
            RpcRoute colourings that do not apply (another RpcRoute colours the same RPC port)
Exits 1 when there are errors, 0 otherwise.

Options:
  -o, --output table|json|yaml output format (default table)
  -h, --help                   print this help
`;

function fail(message: string, code: number): number {
  process.stderr.write(`weft analyze: ${message}\n`);
  return code;
}

export async function analyzeCommand(argv: string[]): Promise<number> {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: { output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    }));
  } catch (err) {
    process.stderr.write(`weft analyze: ${(err as Error).message}\n\n${ANALYZE_HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(ANALYZE_HELP);
    return 0;
  }
  const [dir, ...extra] = positionals;
  if (dir === undefined || extra.length > 0) {
    process.stderr.write(`weft analyze: expected one directory\n\n${ANALYZE_HELP}`);
    return 2;
  }
  const format = parseOutputFormat(values.output);
  if (!format) return fail('-o must be one of table, json, yaml', 2);
  try {
    if (!statSync(dir).isDirectory()) return fail(`${dir} is not a directory`, 1);
  } catch (err) {
    return fail(`cannot read ${dir}: ${(err as Error).message}`, 1);
  }
  let readError: Error | undefined;
  const source = new DirectorySource({ dir, onUpdate: () => undefined, onError: (e) => (readError ??= e) });
  let snapshot;
  try {
    snapshot = await source.start();
  } finally {
    source.close();
  }
  if (readError) return fail(`cannot read ${dir}: ${readError.message}`, 1);
  // one key order for schema and cross-resource issues
  const issues: ConfigIssue[] = [...snapshot.issues, ...analyzeResources(snapshot.resources.values())].map((i) => ({
    severity: i.severity,
    file: i.file,
    ...(i.line !== undefined ? { line: i.line } : {}),
    ...(i.resource !== undefined ? { resource: i.resource } : {}),
    path: i.path,
    reason: i.reason,
  }));
  const errors = issues.filter((i) => i.severity === 'error').length;
  const summary = { resources: snapshot.resources.size, errors, warnings: issues.length - errors };
  process.stdout.write(
    render(format, { ...summary, issues }, () => {
      const head = issues.length === 0 ? '' : formatTable(
        ['SEVERITY', 'FILE', 'RESOURCE', 'PATH', 'REASON'],
        issues.map((i) => [i.severity.toUpperCase(), i.line !== undefined ? `${i.file}:${i.line}` : i.file, i.resource ?? '', i.path || '-', i.reason]),
      ) + '\n';
      return `${head}${summary.resources} resources applied, ${errors} errors, ${summary.warnings} warnings in ${dir}\n`;
    }),
  );
  return errors > 0 ? 1 : 0;
}
