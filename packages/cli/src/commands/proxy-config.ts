import { parseArgs } from 'node:util';
import { ControlPlaneError, DEFAULT_CONTROL_PLANE, fetchDebug } from '../output/control-plane-client.js';
import { formatTable, parseOutputFormat, render } from '../output/format.js';
import { clusterRows, endpointRows, listenerRows, routeRows } from './proxy-config-rows.js';

export const PROXY_CONFIG_HELP = `Usage: weft proxy-config listeners|routes|clusters|endpoints <proxy-id> [options]

The resources of one type the control plane sends a connected proxy (from /debug/config_dump).
Tables: listeners (name, address, port, filter chains), routes (route config, virtual host, domains,
match → destination), clusters (name, type, LB policy), endpoints (cluster, address:port, locality, weight,
health). -o json|yaml prints the raw Envoy v3 resources.

Options:
  --control-plane <host:port>  the control plane's debug HTTP API (default ${DEFAULT_CONTROL_PLANE})
  -o, --output table|json|yaml output format (default table)
  -h, --help                   print this help
`;

const KINDS = {
  listeners: { type: 'Listener', headers: ['NAME', 'ADDRESS', 'PORT', 'CHAINS'], rows: listenerRows },
  routes: { type: 'RouteConfiguration', headers: ['NAME', 'VIRTUAL HOST', 'DOMAINS', 'MATCH', 'DESTINATION'], rows: routeRows },
  clusters: { type: 'Cluster', headers: ['NAME', 'TYPE', 'LB POLICY'], rows: clusterRows },
  endpoints: { type: 'ClusterLoadAssignment', headers: ['CLUSTER', 'ENDPOINT', 'LOCALITY', 'WEIGHT', 'HEALTH'], rows: endpointRows },
} as const;

type Kind = keyof typeof KINDS;

interface DumpResource {
  readonly name: string;
  readonly resource: Readonly<Record<string, unknown>>;
}

interface ConfigDump {
  readonly streams?: readonly { readonly types?: Readonly<Record<string, { readonly resources?: readonly DumpResource[] } | undefined>> }[];
}

function fail(message: string, code: number): number {
  process.stderr.write(`weft proxy-config: ${message}\n`);
  return code;
}

export async function proxyConfigCommand(argv: string[]): Promise<number> {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: { 'control-plane': { type: 'string' }, output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    }));
  } catch (err) {
    process.stderr.write(`weft proxy-config: ${(err as Error).message}\n\n${PROXY_CONFIG_HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(PROXY_CONFIG_HELP);
    return 0;
  }
  const [kindArg, proxyId, ...extra] = positionals;
  if (kindArg === undefined || !(kindArg in KINDS) || proxyId === undefined || extra.length > 0) {
    process.stderr.write(`weft proxy-config: expected listeners|routes|clusters|endpoints and one proxy id\n\n${PROXY_CONFIG_HELP}`);
    return 2;
  }
  const kind = KINDS[kindArg as Kind];
  const format = parseOutputFormat(values.output);
  if (!format) return fail('-o must be one of table, json, yaml', 2);
  const address = values['control-plane'] ?? DEFAULT_CONTROL_PLANE;
  let dump: ConfigDump;
  try {
    const res = await fetchDebug(address, `/debug/config_dump?proxy=${encodeURIComponent(proxyId)}`);
    if (res.status === 404) return fail(`proxy '${proxyId}' is not connected to the control plane at ${address} (see weft proxy-status)`, 1);
    if (res.status !== 200) throw new ControlPlaneError(`control plane at ${address} answered /debug/config_dump with status ${res.status}`);
    dump = res.body as ConfigDump;
  } catch (err) {
    return fail((err as Error).message, 1);
  }
  // a proxy may hold several streams (e.g. while reconnecting): the last one is the current
  const byName = new Map<string, DumpResource>();
  for (const s of dump.streams ?? []) for (const r of s.types?.[kind.type]?.resources ?? []) byName.set(r.name, r);
  const resources = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name)).map((r) => r.resource);
  process.stdout.write(render(format, resources, () => formatTable(kind.headers, kind.rows(resources))));
  return 0;
}
