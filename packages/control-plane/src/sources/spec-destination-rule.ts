import { portSelector, uniqueBy } from './spec-common.js';
import {
  all, arr, bool, duration, exportTo, host, int, labels, notSupported, obj, oneOfValues, str, strMatching, supportedValues, uint32, type Check,
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

const localityLbSetting = obj(
  {
    // Locality-aware weights/priorities need per-proxy EDS: not translated yet, so refused rather than ignored.
    distribute: notSupported(),
    failover: notSupported(),
    failoverPriority: notSupported(),
    enabled: bool,
  },
  { oneOf: [['distribute', 'failover']] },
);

const loadBalancer = obj(
  {
    simple: supportedValues(SIMPLE_LB.filter((s) => s !== 'PASSTHROUGH'), SIMPLE_LB),
    consistentHash,
    localityLbSetting,
    warmupDurationSecs: notSupported(),
  },
  { oneOf: [['simple', 'consistentHash']] },
);

const connectionPool = obj({
  tcp: obj({
    maxConnections: int(0, 2147483647),
    connectTimeout: duration(1),
    tcpKeepalive: notSupported(),
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
    maxConcurrentStreams: notSupported(),
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

/** Only `mode: DISABLE` (plain text): mTLS/TLS origination needs SDS, not part of this translation yet. */
const clientTls: Check = (v, path, report) => {
  obj({ mode: strMatching(/^DISABLE$/, "'DISABLE' (TLS origination is not supported by Weft yet)") })(v, path, report);
};

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
    workloadSelector: notSupported(),
  },
  { required: ['host'] },
);


