import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/** A flag (or its environment variable) the agent could not accept; the message names the flag. */
export class AgentFlagError extends Error {
  readonly code = 'WEFT_ERR_AGENT_FLAG';
  constructor(readonly flag: string, message: string) {
    super(`--${flag}: ${message}`);
  }
}

/** Who the workload is: what the control plane reads from the proxy's xDS node (Istio's conventions). */
export interface WorkloadIdentity {
  readonly service: string;
  readonly namespace: string;
  /** The instance's name (a pod name on Kubernetes); unique per instance. */
  readonly workload: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The workload's IP address (Istio's INSTANCE_IPS). */
  readonly ip: string;
  readonly proxyType: 'sidecar' | 'router';
  /** Istio's CLUSTER_ID, empty when unset. */
  readonly clusterId: string;
  readonly locality: { readonly region: string; readonly zone: string; readonly subZone: string } | undefined;
  /** DNS domain of the id's last part, `<namespace>.svc.cluster.local` by default. */
  readonly dnsDomain: string;
  /**
   * Istio's INTERCEPTION_MODE: REDIRECT when iptables send the workload's traffic to the proxy (the control plane
   * then serves virtualOutbound 15001 / virtualInbound 15006), NONE when apps call the proxy's ports themselves.
   */
  readonly interceptionMode: 'NONE' | 'REDIRECT';
}

/** Where the proxy gets its config and how it is reached. */
export interface ProxyEndpoints {
  readonly controlPlane: { readonly host: string; readonly port: number };
  readonly adminPort: number;
  readonly xdsApi: 'DELTA_GRPC' | 'GRPC';
}

/** Raw option values: a flag when given, else the environment variable named in IDENTITY_ENV. */
export type IdentityInput = Readonly<Partial<Record<IdentityFlag, string>>>;

export type IdentityFlag =
  | 'service' | 'namespace' | 'workload' | 'labels' | 'ip' | 'proxy-type' | 'cluster-id' | 'locality' | 'dns-domain' | 'interception-mode'
  | 'control-plane' | 'admin-port' | 'xds-api';

/** The environment variable read when a flag is absent (Kubernetes downward-API names where Istio uses them). */
export const IDENTITY_ENV: Readonly<Record<IdentityFlag, string>> = {
  service: 'WEFT_SERVICE',
  namespace: 'POD_NAMESPACE',
  workload: 'POD_NAME',
  labels: 'WEFT_LABELS',
  ip: 'INSTANCE_IP',
  'proxy-type': 'WEFT_PROXY_TYPE',
  'cluster-id': 'WEFT_CLUSTER_ID',
  locality: 'WEFT_LOCALITY',
  'dns-domain': 'WEFT_DNS_DOMAIN',
  'interception-mode': 'WEFT_INTERCEPTION_MODE',
  'control-plane': 'WEFT_CONTROL_PLANE',
  'admin-port': 'WEFT_ADMIN_PORT',
  'xds-api': 'WEFT_XDS_API',
};

export const DEFAULT_CONTROL_PLANE = '127.0.0.1:15010';
/** Envoy's and Istio's conventional admin port. */
export const DEFAULT_ADMIN_PORT = 15000;

// RFC 1123 label (Kubernetes names), and dotted names for service/workload.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
// Kubernetes label keys (optional prefix/) and values.
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

function pick(input: IdentityInput, env: NodeJS.ProcessEnv, flag: IdentityFlag): string | undefined {
  const v = input[flag] ?? env[IDENTITY_ENV[flag]];
  return v === undefined || v === '' ? undefined : v;
}

export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) throw new AgentFlagError('labels', `'${part}' is not key=value`);
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (!LABEL_KEY.test(key)) throw new AgentFlagError('labels', `'${key}' is not a valid label key`);
    if (!LABEL_VALUE.test(value)) throw new AgentFlagError('labels', `'${value}' is not a valid value for label '${key}'`);
    if (key in labels) throw new AgentFlagError('labels', `label '${key}' is given twice`);
    labels[key] = value;
  }
  return labels;
}

export function parseHostPort(text: string, flag: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new AgentFlagError(flag, `'${text}' is not host:port`);
  const host = (m[1] as string).replace(/^\[|\]$/g, '');
  return { host, port };
}

export function parsePort(text: string, flag: string, allowZero = false): number {
  const n = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(n >= (allowZero ? 0 : 1) && n <= 65535)) throw new AgentFlagError(flag, `'${text}' is not a port number`);
  return n;
}

/** The first non-internal IPv4 address of this host, else 127.0.0.1 (a VM without INSTANCE_IP). */
export function defaultIp(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

function name(input: IdentityInput, env: NodeJS.ProcessEnv, flag: IdentityFlag, re: RegExp, fallback?: string): string {
  const v = pick(input, env, flag) ?? fallback;
  if (v === undefined) throw new AgentFlagError(flag, `is required (or set ${IDENTITY_ENV[flag]})`);
  if (!re.test(v)) throw new AgentFlagError(flag, `'${v}' must be a lowercase DNS name (a-z, 0-9, '-')`);
  return v;
}

/** Validates the identity flags (falling back to the environment); throws AgentFlagError naming the flag. */
export function parseIdentity(input: IdentityInput, env: NodeJS.ProcessEnv = process.env): WorkloadIdentity {
  const service = name(input, env, 'service', DNS_LABEL);
  const namespace = name(input, env, 'namespace', DNS_LABEL, 'default');
  const ip = pick(input, env, 'ip') ?? defaultIp();
  if (isIP(ip) === 0) throw new AgentFlagError('ip', `'${ip}' is not an IP address`);
  const workload = name(input, env, 'workload', DNS_NAME, `${service}-${ip.replace(/[.:]/g, '-')}`);
  const labelsText = pick(input, env, 'labels');
  const labels = labelsText === undefined ? { app: service } : parseLabels(labelsText);
  const proxyType = pick(input, env, 'proxy-type') ?? 'sidecar';
  if (proxyType !== 'sidecar' && proxyType !== 'router') throw new AgentFlagError('proxy-type', `'${proxyType}' must be sidecar or router`);
  const clusterId = pick(input, env, 'cluster-id') ?? '';
  if (clusterId !== '' && !DNS_NAME.test(clusterId)) throw new AgentFlagError('cluster-id', `'${clusterId}' must be a lowercase DNS name`);
  const localityText = pick(input, env, 'locality');
  let locality: WorkloadIdentity['locality'];
  if (localityText !== undefined) {
    const parts = localityText.split('/');
    if (parts.length > 3 || parts.some((p) => /[\s~]/.test(p)) || parts[0] === '') {
      throw new AgentFlagError('locality', `'${localityText}' must be region[/zone[/subzone]]`);
    }
    locality = { region: parts[0] ?? '', zone: parts[1] ?? '', subZone: parts[2] ?? '' };
  }
  const dnsDomain = name(input, env, 'dns-domain', DNS_NAME, `${namespace}.svc.cluster.local`);
  const mode = (pick(input, env, 'interception-mode') ?? 'none').toUpperCase();
  if (mode !== 'NONE' && mode !== 'REDIRECT') throw new AgentFlagError('interception-mode', `'${mode.toLowerCase()}' must be none or redirect`);
  return { service, namespace, workload, labels, ip, proxyType, clusterId, locality, dnsDomain, interceptionMode: mode };
}

export function parseProxyEndpoints(input: IdentityInput, env: NodeJS.ProcessEnv = process.env): ProxyEndpoints {
  const controlPlane = parseHostPort(pick(input, env, 'control-plane') ?? DEFAULT_CONTROL_PLANE, 'control-plane');
  const adminText = pick(input, env, 'admin-port');
  const adminPort = adminText === undefined ? DEFAULT_ADMIN_PORT : parsePort(adminText, 'admin-port');
  const api = pick(input, env, 'xds-api') ?? 'delta';
  if (api !== 'delta' && api !== 'sotw') throw new AgentFlagError('xds-api', `'${api}' must be delta or sotw`);
  return { controlPlane, adminPort, xdsApi: api === 'delta' ? 'DELTA_GRPC' : 'GRPC' };
}
