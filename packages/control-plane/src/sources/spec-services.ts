import { isIP } from 'node:net';
import { namespacedHost, uniqueBy } from './spec-common.js';
import {
  all, arr, exportTo, host, int, ipAddress, ipOrCidr, labels, map, notSupported, obj, oneOfValues, port, str, strMatching, supportedValues, type Check,
} from './strict-spec.js';

/** Istio's protocols plus Weft's RPC ones (BOLT, DUBBO, THRIFT: served by the rpc_proxy). */
const PROTOCOLS = ['HTTP', 'HTTPS', 'GRPC', 'GRPC-WEB', 'HTTP2', 'MONGO', 'MYSQL', 'REDIS', 'TCP', 'TLS', 'UDP', 'BOLT', 'DUBBO', 'THRIFT'];
export const protocol = (v: unknown, path: string, report: (p: string, r: string) => void): void => {
  if (typeof v !== 'string') return report(path, 'expected a string');
  if (!PROTOCOLS.includes(v.toUpperCase())) report(path, `'${v}' is not a protocol (${PROTOCOLS.join(', ')})`);
};
export const portName = strMatching(/^[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/, 'a valid port name');

/** `address` of a WorkloadEntry / ServiceEntry endpoint: an IP, a DNS name or `unix://` socket path. */
const endpointAddress: Check = (v, path, report) => {
  if (typeof v !== 'string') return report(path, 'expected a string');
  if (v.startsWith('unix://')) return report(path, 'unix domain socket endpoints are not supported by Weft yet');
  host(v, path, report);
};

const locality = strMatching(/^[^/]*(\/[^/]*){0,2}$/, "'region', 'region/zone' or 'region/zone/subzone'");

export const workloadEntrySpec: Check = obj({
  address: endpointAddress,
  ports: map(port, portName),
  labels,
  network: str,
  locality,
  weight: int(0, 4294967295),
  serviceAccount: str,
});

const servicePort = obj({ number: port, protocol, name: portName, targetPort: port }, { required: ['number', 'name'] });

export const serviceEntrySpec: Check = obj(
  {
    hosts: arr(host, { nonEmpty: true }),
    addresses: arr(ipOrCidr),
    ports: all(arr(servicePort), uniqueBy('name', 'port name'), uniqueBy('number', 'port number')),
    location: oneOfValues(['MESH_EXTERNAL', 'MESH_INTERNAL']),
    resolution: oneOfValues(['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN']),
    endpoints: arr(workloadEntrySpec),
    workloadSelector: obj({ labels }),
    exportTo,
    subjectAltNames: arr(str),
  },
  {
    required: ['hosts'],
    oneOf: [['endpoints', 'workloadSelector']],
    refine: (o, path, report) => {
      const portNames = new Set(Array.isArray(o.ports) ? o.ports.map((p: { name?: string }) => p?.name) : []);
      if (Array.isArray(o.endpoints)) {
        o.endpoints.forEach((e: { ports?: Record<string, unknown>; address?: string }, i) => {
          for (const name of Object.keys(e?.ports ?? {})) {
            if (!portNames.has(name)) report(`${path}.endpoints[${i}].ports.${name}`, `no port named '${name}' in this ServiceEntry`);
          }
          if (o.resolution === 'STATIC' && typeof e?.address === 'string' && isIP(e.address) === 0) {
            report(`${path}.endpoints[${i}].address`, "resolution STATIC needs IP addresses (use 'DNS' for host names)");
          }
        });
      }
      if ((o.resolution === 'NONE' || o.resolution === undefined) && Array.isArray(o.endpoints) && o.endpoints.length > 0) {
        report(`${path}.resolution`, "endpoints need resolution 'STATIC' or 'DNS'");
      }
      if (o.resolution === 'STATIC' && o.endpoints === undefined && o.workloadSelector === undefined) {
        report(`${path}.endpoints`, "resolution 'STATIC' needs endpoints or a workloadSelector");
      }
    },
  },
);

const sidecarPort = obj({ number: port, protocol, name: portName, targetPort: port }, { required: ['number'] });
const captureMode = supportedValues(['NONE'], ['DEFAULT', 'IPTABLES', 'NONE']);
/** `defaultEndpoint` of an ingress listener: `127.0.0.1:PORT`, `0.0.0.0:PORT` or `[::1]:PORT` (unix sockets not yet). */
const defaultEndpoint = strMatching(/^(127\.0\.0\.1|0\.0\.0\.0|\[::1?\]):\d{1,5}$/, "'127.0.0.1:PORT', '0.0.0.0:PORT' or '[::1]:PORT'");

const ingressListener = obj(
  { port: sidecarPort, bind: ipAddress, captureMode, defaultEndpoint, tls: notSupported(), connectionPool: notSupported() },
  {
    required: ['port', 'defaultEndpoint'],
    refine: (o, path, report) => {
      if (typeof o.defaultEndpoint === 'string') {
        const p = Number(o.defaultEndpoint.slice(o.defaultEndpoint.lastIndexOf(':') + 1));
        if (!(p >= 1 && p <= 65535)) report(`${path}.defaultEndpoint`, `port ${p} is out of range [1, 65535]`);
      }
    },
  },
);

const egressListener = obj(
  { port: sidecarPort, bind: ipAddress, captureMode, hosts: arr(namespacedHost, { nonEmpty: true }) },
  { required: ['hosts'] },
);

export const sidecarSpec: Check = obj(
  {
    workloadSelector: obj({ labels }, { required: ['labels'] }),
    ingress: arr(ingressListener),
    egress: all(arr(egressListener), (v, path, report) => {
      if (!Array.isArray(v)) return;
      const catchAll = v.filter((e: { port?: unknown }) => e?.port === undefined).length;
      if (catchAll > 1) report(path, 'only one egress listener may omit the port');
    }),
    // Without iptables there is no passthrough: only registry hosts are reachable.
    outboundTrafficPolicy: obj({ mode: supportedValues(['REGISTRY_ONLY'], ['REGISTRY_ONLY', 'ALLOW_ANY']), egressProxy: notSupported() }),
    inboundConnectionPool: notSupported(),
  },
);
