import { destination, GRPC_STATUS_NAMES, headers, percent, regexString, stringMatch } from './spec-common.js';
import {
  arr, bool, duration, exportTo, host, int, labels, map, notSupported, obj, oneOfValues, port, str, strMatching, type Check,
} from './strict-spec.js';

const httpMatch = obj({
  name: str,
  uri: stringMatch,
  scheme: stringMatch,
  method: stringMatch,
  authority: stringMatch,
  headers: map(stringMatch),
  withoutHeaders: map(stringMatch),
  queryParams: map(stringMatch),
  port,
  sourceLabels: labels,
  gateways: arr(str),
  ignoreUriCase: bool,
  sourceNamespace: str,
  statPrefix: notSupported(),
});

const routeDestination = obj({ destination, weight: int(0, 100), headers }, { required: ['destination'] });

const redirect = obj(
  {
    uri: str,
    authority: str,
    port,
    derivePort: strMatching(/^(FROM_PROTOCOL_DEFAULT|FROM_REQUEST_PORT)$/, 'FROM_PROTOCOL_DEFAULT or FROM_REQUEST_PORT'),
    scheme: str,
    redirectCode: int(300, 399),
  },
  { oneOf: [['port', 'derivePort']] },
);

const rewrite = obj(
  { uri: str, authority: str, uriRegexRewrite: obj({ match: regexString(), rewrite: str }, { required: ['match', 'rewrite'] }) },
  { oneOf: [['uri', 'uriRegexRewrite']] },
);

const retries = obj({
  attempts: int(0, 2147483647),
  perTryTimeout: duration(1),
  retryOn: strMatching(/^[a-z0-9-]+(,[a-z0-9-]+)*$|^$/, 'a comma-separated list of retry policies'),
  retryRemoteLocalities: bool,
  // Istio 1.23+ (newer than the package's 1.18 types): the base interval of the exponential retry back-off.
  backoff: duration(1),
});

const fault = obj({
  delay: obj(
    { fixedDelay: duration(1), percentage: percent, percent: int(0, 100), exponentialDelay: notSupported() },
    { required: ['fixedDelay'] },
  ),
  abort: obj(
    { httpStatus: int(200, 599), grpcStatus: oneOfValues(GRPC_STATUS_NAMES), http2Error: notSupported(), percentage: percent },
    {
      oneOf: [['httpStatus', 'grpcStatus']],
      refine: (o, path, report) => {
        if (o.httpStatus === undefined && o.grpcStatus === undefined) report(path, "one of 'httpStatus' or 'grpcStatus' is required");
      },
    },
  ),
});

const cors = obj({
  allowOrigins: arr(stringMatch),
  allowOrigin: arr(str),
  allowMethods: arr(str),
  allowHeaders: arr(str),
  exposeHeaders: arr(str),
  maxAge: duration(),
  allowCredentials: bool,
}, { oneOf: [['allowOrigins', 'allowOrigin']] });

/** Envoy's default max_direct_response_body_size_bytes: larger bodies would make the whole route table NACKed. */
const MAX_DIRECT_BODY = 4096;

const directResponse = obj(
  {
    status: int(200, 599),
    body: obj(
      {
        string: (v, path, report) => {
          if (typeof v !== 'string') return report(path, 'expected a string');
          if (Buffer.byteLength(v) > MAX_DIRECT_BODY) report(path, `body is ${Buffer.byteLength(v)} bytes, at most ${MAX_DIRECT_BODY} are allowed`);
        },
        bytes: (v, path, report) => {
          if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) return report(path, 'expected base64-encoded bytes');
          const n = Buffer.from(v, 'base64').length;
          if (n > MAX_DIRECT_BODY) report(path, `body is ${n} bytes, at most ${MAX_DIRECT_BODY} are allowed`);
        },
      },
      { oneOf: [['string', 'bytes']] },
    ),
  },
  { required: ['status'] },
);

const delegate = obj({ name: str, namespace: str }, { required: ['name'] });

const httpRoute = obj(
  {
    name: str,
    match: arr(httpMatch),
    route: arr(routeDestination),
    redirect,
    directResponse,
    delegate,
    rewrite,
    timeout: duration(),
    retries,
    fault,
    mirror: destination,
    mirrorPercent: int(0, 100),
    mirrorPercentage: percent,
    corsPolicy: cors,
    headers,
  },
  {
    oneOf: [['route', 'redirect', 'directResponse', 'delegate'], ['redirect', 'rewrite'], ['directResponse', 'rewrite'], ['directResponse', 'fault'], ['redirect', 'fault'], ['mirrorPercent', 'mirrorPercentage']],
    refine: (o, path, report) => {
      if (o.route === undefined && o.redirect === undefined && o.directResponse === undefined && o.delegate === undefined) report(path, "one of 'route', 'redirect', 'directResponse' or 'delegate' is required");
      if (Array.isArray(o.route)) checkWeights(o.route, `${path}.route`, report);
    },
  },
);

/** Like Istio: with several destinations the weights must add up to 100. */
function checkWeights(list: unknown[], path: string, report: (p: string, r: string) => void): void {
  if (list.length < 2) return;
  let sum = 0;
  for (const d of list) sum += typeof (d as { weight?: unknown }).weight === 'number' ? (d as { weight: number }).weight : 0;
  if (sum !== 100) report(path, `total destination weight is ${sum}, must be 100`);
}

const tcpRoute = obj(
  {
    match: arr(obj({ destinationSubnets: notSupported(), port, sourceLabels: labels, gateways: arr(str), sourceNamespace: str, sourceSubnet: notSupported() })),
    route: arr(obj({ destination, weight: int(0, 100) }, { required: ['destination'] })),
  },
  {
    refine: (o, path, report) => {
      if (!Array.isArray(o.route) || o.route.length === 0) report(`${path}.route`, 'is required');
      else checkWeights(o.route, `${path}.route`, report);
    },
  },
);

const tlsRoute = obj(
  {
    match: arr(obj(
      { sniHosts: arr(host, { nonEmpty: true }), destinationSubnets: notSupported(), port, sourceLabels: labels, gateways: arr(str), sourceNamespace: notSupported() },
      { required: ['sniHosts'] },
    ), { nonEmpty: true }),
    route: arr(obj({ destination, weight: int(0, 100) }, { required: ['destination'] })),
  },
  {
    required: ['match'],
    refine: (o, path, report) => {
      if (!Array.isArray(o.route) || o.route.length === 0) report(`${path}.route`, 'is required');
      else checkWeights(o.route, `${path}.route`, report);
    },
  },
);

/** Whether a route list can apply to sidecars (`mesh`): VS-level gateways include it, or a match names it. */
function appliesToMesh(vsGateways: unknown, routes: unknown[]): boolean {
  const vsMesh = !Array.isArray(vsGateways) || vsGateways.length === 0 || vsGateways.includes('mesh');
  return routes.some((r) => {
    const matches = (r as { match?: Array<{ gateways?: string[] }> }).match ?? [{}];
    return matches.some((m) => (m.gateways?.length ? m.gateways.includes('mesh') : vsMesh));
  });
}

export const virtualServiceSpec: Check = obj(
  {
    hosts: arr(host),
    gateways: arr(str),
    http: arr(httpRoute),
    tls: arr(tlsRoute),
    tcp: arr(tcpRoute),
    exportTo,
  },
  {
    refine: (o, path, report) => {
      if (o.http === undefined && o.tcp === undefined && o.tls === undefined) report(path, "one of 'http', 'tls' or 'tcp' is required");
      // Sidecars route TLS by SNI only with iptables capture; Weft sidecars have no TLS listeners yet.
      if (Array.isArray(o.tls) && appliesToMesh(o.gateways, o.tls)) report(`${path}.tls`, "TLS routes apply only to gateways in Weft (set 'gateways' without 'mesh')");
    },
  },
);
