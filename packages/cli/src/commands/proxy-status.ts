import { parseArgs } from 'node:util';
import { ControlPlaneError, DEFAULT_CONTROL_PLANE, fetchDebug } from '../output/control-plane-client.js';
import { formatTable, parseOutputFormat, render } from '../output/format.js';

export const PROXY_STATUS_HELP = `Usage: weft proxy-status [options]

Every proxy connected to the control plane and whether it holds the latest configuration, per xDS type:
SYNCED (the sent version is ACKed), STALE (sent, not yet ACKed), NACKED (rejected; see -o json for the error),
NOT SENT (the proxy has not subscribed to the type).

Options:
  --control-plane <host:port>  the control plane's debug HTTP API (default ${DEFAULT_CONTROL_PLANE})
  -o, --output table|json|yaml output format (default table)
  -h, --help                   print this help
`;

const TYPES = ['CDS', 'LDS', 'EDS', 'RDS'] as const;
/** shortTypeName() of the control plane → column. */
const TYPE_KEYS: Record<(typeof TYPES)[number], string> = { CDS: 'Cluster', LDS: 'Listener', EDS: 'ClusterLoadAssignment', RDS: 'RouteConfiguration' };

interface TypeView {
  readonly sentVersion?: string;
  readonly ackedVersion?: string;
  readonly lastNack?: { readonly version?: string; readonly message?: string } | null;
}

interface StreamView {
  readonly proxy: string;
  readonly stream: number;
  readonly variant: string;
  readonly types: Record<string, TypeView | undefined>;
}

export interface TypeStatus {
  readonly status: 'SYNCED' | 'STALE' | 'NACKED' | 'NOT SENT';
  readonly version: string;
  readonly ackedVersion: string;
  readonly error?: string;
}

/** SYNCED when the last sent version is ACKed, NACKED when that version was rejected, else STALE. */
export function typeStatus(t: TypeView | undefined): TypeStatus {
  if (!t || !t.sentVersion) return { status: 'NOT SENT', version: t?.sentVersion ?? '', ackedVersion: t?.ackedVersion ?? '' };
  const base = { version: t.sentVersion, ackedVersion: t.ackedVersion ?? '' };
  if (t.ackedVersion === t.sentVersion) return { status: 'SYNCED', ...base };
  if (t.lastNack && t.lastNack.version === t.sentVersion) return { status: 'NACKED', ...base, error: t.lastNack.message ?? '' };
  return { status: 'STALE', ...base };
}

export async function proxyStatusCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { 'control-plane': { type: 'string' }, output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`weft proxy-status: ${(err as Error).message}\n\n${PROXY_STATUS_HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(PROXY_STATUS_HELP);
    return 0;
  }
  const format = parseOutputFormat(values.output);
  if (!format) {
    process.stderr.write(`weft proxy-status: -o must be one of table, json, yaml\n`);
    return 2;
  }
  const address = values['control-plane'] ?? DEFAULT_CONTROL_PLANE;
  let body: unknown;
  try {
    const res = await fetchDebug(address, '/debug/syncz');
    if (res.status !== 200) throw new ControlPlaneError(`control plane at ${address} answered /debug/syncz with status ${res.status}`);
    body = res.body;
  } catch (err) {
    process.stderr.write(`weft proxy-status: ${(err as Error).message}\n`);
    return 1;
  }
  const streams = ((body as { proxies?: StreamView[] }).proxies ?? []).slice().sort((a, b) => a.proxy.localeCompare(b.proxy) || a.stream - b.stream);
  const proxies = streams.map((s) => ({
    proxy: s.proxy,
    stream: s.stream,
    variant: s.variant,
    CDS: typeStatus(s.types[TYPE_KEYS.CDS]),
    LDS: typeStatus(s.types[TYPE_KEYS.LDS]),
    EDS: typeStatus(s.types[TYPE_KEYS.EDS]),
    RDS: typeStatus(s.types[TYPE_KEYS.RDS]),
  }));
  process.stdout.write(
    render(format, { proxies }, () =>
      proxies.length === 0
        ? 'No proxies connected.\n'
        : formatTable(
            ['NAME', ...TYPES, 'XDS', 'VERSION'],
            proxies.map((p) => [
              p.proxy,
              ...TYPES.map((t) => p[t].status),
              p.variant === 'delta' ? 'DELTA' : 'SOTW',
              [...new Set(TYPES.map((t) => p[t].version).filter((v) => v))].join(','),
            ]),
          ),
    ),
  );
  return 0;
}
