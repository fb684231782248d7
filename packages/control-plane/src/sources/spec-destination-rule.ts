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


