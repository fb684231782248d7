import { joinPath } from '@weft/api/lite';
import { portSelector, uniqueBy } from './spec-common.js';
import {
  all, arr, bool, duration, exportTo, host, int, isObject, labels, notSupported, obj, oneOfValues, str, strMatching, supportedValues, uint32, type Check, type Report,
} from './strict-spec.js';

const SIMPLE_LB = ['UNSPECIFIED', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'ROUND_ROBIN', 'LEAST_REQUEST'];

const consistentHash = obj(
  {
    httpHeaderName: str,
    httpCookie: obj({ name: str, path: str, ttl: duration() }, { required: ['name'] }),
    useSourceIp: bool,
    httpQueryParameterName: str,
    ringHash: obj({ minimumRingSize: uint32 }),
    maglev: obj({ tableSize: uint32 }),
    minimumRingSize: uint32,
  },
  { oneOf: [['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'], ['ringHash', 'maglev', 'minimumRingSize']] },
);

/** A locality `region[/zone[/subzone]]`; `*` only as the last segment (Istio's validateLocalities). */
function localityPattern(v: string, path: string, report: Report): void {
  const parts = v.split('/');
  if (v === '' || parts.length > 3) return report(path, `'${v}' is not 'region', 'region/zone' or 'region/zone/subzone'`);
  parts.forEach((p, i) => {
    if (p === '') report(path, `'${v}' has an empty segment`);
    else if (p.includes('*') && (p !== '*' || i !== parts.length - 1)) report(path, `'${v}': '*' is only allowed as the last segment`);
  });
}

const localityString: Check = (v, path, report) => {
  if (typeof v !== 'string') return report(path, 'expected a string');
  localityPattern(v, path, report);
};

const distribute = obj(
  {
    from: localityString,
    to: (v, path, report) => {
      if (!isObject(v)) return report(path, 'expected an object');
      let total = 0;
      for (const [loc, w] of Object.entries(v)) {
        const p = joinPath(path, loc);
        localityPattern(loc, p, report);
        if (typeof w !== 'number' || !Number.isInteger(w) || w < 1 || w > 100) report(p, 'locality weight must be an integer in [1, 100]');
        else total += w;
      }
      if (total !== 100) report(path, `total locality weight is ${total}, must be 100`);
    },
  },
  { required: ['from', 'to'] },
);

/** Failover is between regions: plain region names, different from each other. */
const region = strMatching(/^[^/*]+$/, "a region name (no '/' or '*')");
const failover = obj({ from: region, to: region }, {
  required: ['from', 'to'],
  refine: (o, path, report) => {
    if (o.from !== undefined && o.from === o.to) report(path, "'from' and 'to' must be different regions");
  },
});

const localityLbSetting = obj(
  {
    distribute: all(arr(distribute), (v, path, report) => {
      if (!Array.isArray(v)) return;
      const seen = new Set<unknown>();
      v.forEach((d: { from?: unknown }, i) => {
        if (seen.has(d?.from)) report(`${path}[${i}].from`, `locality '${String(d?.from)}' is listed twice`);
        seen.add(d?.from);
      });
    }),
    failover: arr(failover),
    failoverPriority: arr(strMatching(/^[^=]+(=[^=]*)?$/, "a label name, or 'label=value'")),
    enabled: bool,
  },
  { oneOf: [['distribute', 'failover'], ['distribute', 'failoverPriority']] },
);

const loadBalancer = obj(
  {
    simple: supportedValues(SIMPLE_LB.filter((s) => s !== 'PASSTHROUGH'), SIMPLE_LB),
    consistentHash,
    localityLbSetting,
    // Slow start (Envoy slow_start_config) is not implemented by the Weft proxy.
    warmupDurationSecs: notSupported(),
  },
  {
    oneOf: [['simple', 'consistentHash']],
    refine: (o, path, report) => {
      const l = o.localityLbSetting as { distribute?: unknown[] } | undefined;
      if (o.consistentHash !== undefined && l?.distribute?.length) report(joinPath(path, 'localityLbSetting.distribute'), 'cannot be combined with consistentHash (hashing ignores locality weights)');
    },
  },
);

const connectionPool = obj({
  tcp: obj({
    maxConnections: int(0, 2147483647),
    connectTimeout: duration(1),
    // Node sets the keepalive idle time only: probe count and interval stay at the kernel's defaults.
    tcpKeepalive: obj({ time: duration(1000), probes: notSupported('is not supported by Weft yet (only time)'), interval: notSupported('is not supported by Weft yet (only time)') }),
    maxConnectionDuration: duration(1),
  }),
  http: obj({
    http1MaxPendingRequests: int(0, 2147483647),
    http2MaxRequests: int(0, 2147483647),
    maxRequestsPerConnection: int(0, 2147483647),
    maxRetries: int(0, 2147483647),
    idleTimeout: duration(1),
    h2UpgradePolicy: oneOfValues(['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE']),
    useClientProtocol: bool,
    maxConcurrentStreams: int(1, 2147483647),
  }),
});

const outlierDetection = obj({
  consecutiveErrors: notSupported("is deprecated: use 'consecutive5xxErrors'"),
  consecutive5xxErrors: uint32,
  consecutiveGatewayErrors: uint32,
  consecutiveLocalOriginFailures: uint32,
  splitExternalLocalOriginErrors: bool,
  interval: duration(1),
  baseEjectionTime: duration(1),
  maxEjectionPercent: int(0, 100),
  minHealthPercent: int(0, 100),
});

/**
 * TLS origination with files on the proxy's host. ISTIO_MUTUAL needs workload certificates from the mesh CA and
 * credentialName needs SDS from Kubernetes secrets: both refused until Weft has them.
 */
const clientTls = obj(
  {
    mode: oneOfValues(['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL']),
    caCertificates: str,
    clientCertificate: str,
    privateKey: str,
    sni: str,
    subjectAltNames: arr(str),
    insecureSkipVerify: bool,
    credentialName: notSupported('is not supported by Weft yet (it needs SDS from Kubernetes secrets): use clientCertificate, privateKey and caCertificates files'),
    caCrl: notSupported(),
  },
  {
    refine: (o, path, report) => {
      const mode = (o.mode as string | undefined) ?? 'DISABLE';
      if (mode === 'ISTIO_MUTUAL') return report(joinPath(path, 'mode'), "'ISTIO_MUTUAL' is not supported by Weft yet (it needs workload certificates from the mesh CA)");
      const set = (k: string): boolean => o[k] !== undefined && o[k] !== null;
      const fields = ['caCertificates', 'clientCertificate', 'privateKey', 'sni', 'subjectAltNames', 'insecureSkipVerify'];
      if (mode === 'DISABLE') {
        for (const f of fields) if (set(f)) report(joinPath(path, f), 'is only used with mode SIMPLE or MUTUAL');
        return;
      }
      if (mode === 'MUTUAL') {
        if (!set('clientCertificate')) report(joinPath(path, 'clientCertificate'), 'client certificate required for mutual tls');
        if (!set('privateKey')) report(joinPath(path, 'privateKey'), 'private key required for mutual tls');
      } else {
        for (const f of ['clientCertificate', 'privateKey']) if (set(f)) report(joinPath(path, f), 'is only used with mode MUTUAL');
      }
      if (o.insecureSkipVerify === true) {
        for (const f of ['caCertificates', 'subjectAltNames']) if (set(f)) report(joinPath(path, f), 'cannot be combined with insecureSkipVerify');
      } else if (!set('caCertificates')) {
        report(joinPath(path, 'caCertificates'), 'is required to verify the server (Weft does not use the system trust store yet); set insecureSkipVerify: true to skip verification');
      }
    },
  },
);

const portTrafficPolicy = obj(
  { port: portSelector, loadBalancer, connectionPool, outlierDetection, tls: clientTls },
  { required: ['port'] },
);

const trafficPolicy = obj({
  loadBalancer,
  connectionPool,
  outlierDetection,
  portLevelSettings: all(arr(portTrafficPolicy), (v, path, report) => {
    if (!Array.isArray(v)) return;
    const seen = new Set<number>();
    v.forEach((p: { port?: { number?: number } }, i) => {
      const n = p?.port?.number;
      if (n === undefined) return;
      if (seen.has(n)) report(`${path}[${i}].port.number`, `duplicate port ${n}`);
      seen.add(n);
    });
  }),
  tls: clientTls,
  tunnel: notSupported(),
  proxyProtocol: notSupported(),
});

const subset = obj({ name: strMatching(/^[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/, 'a valid subset name'), labels, trafficPolicy }, { required: ['name'] });

export const destinationRuleSpec: Check = obj(
  {
    host,
    trafficPolicy,
    subsets: all(arr(subset), uniqueBy('name', 'subset name')),
    exportTo,
    workloadSelector: obj({ matchLabels: labels }, { required: ['matchLabels'] }),
  },
  { required: ['host'] },
);


