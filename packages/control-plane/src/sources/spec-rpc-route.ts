import { envoyType } from '@weft/api';
import { destination, percent, regexString, uniqueBy } from './spec-common.js';
import { all, arr, bool, duration, exportTo, host, int, map, obj, str, strMatching, type Check } from './strict-spec.js';

const RPC_ROUTE_ACTION = 'weft.extensions.filters.network.rpc_proxy.v1.RouteAction';

/** Exactly one of exact / prefix / regex (plus the fields `extra` allows). */
function stringMatchWith(extra: Record<string, Check>, required: readonly string[] = []): Check {
  return obj(
    { exact: str, prefix: str, regex: regexString(), ...extra },
    {
      required,
      oneOf: [['exact', 'prefix', 'regex']],
      refine: (o, path, report) => {
        if (o.exact === undefined && o.prefix === undefined && o.regex === undefined) report(path, "one of 'exact', 'prefix' or 'regex' is required");
      },
    },
  );
}

const stringMatch = stringMatchWith({});
const headerName = strMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'a valid header / attachment name');

const match = obj({
  service: stringMatch,
  method: stringMatch,
  version: stringMatch,
  group: stringMatch,
  application: stringMatch,
  headers: map(stringMatch, headerName),
  parameters: arr(stringMatchWith({ index: int(0, 255) }, ['index'])),
});

const RETRY_ON = ['connect-failure', 'reset', 'timeout', 'server-error'];
const retryOn: Check = (v, path, report) => {
  if (typeof v !== 'string') return report(path, 'expected a string');
  const bad = v.split(',').map((t) => t.trim()).filter((t) => !RETRY_ON.includes(t));
  if (bad.length > 0) report(path, `unknown retry condition '${bad.join(',')}' (${RETRY_ON.join(', ')})`);
};

/**
 * Fault injection and local rate limits need RouteAction fields of the rpc_proxy proto that newer builds have
 * (`fault`, `local_rate_limit`); without them the rule is refused rather than translated into nothing.
 */
function needsRouteActionField(field: string): Check {
  return (_v, path, report) => {
    if (!envoyType(RPC_ROUTE_ACTION).fields[field]) report(path, `is not supported by this Weft build (the rpc_proxy RouteAction has no '${field}')`);
  };
}

const fault = all(
  obj(
    {
      delay: obj({ fixedDelay: duration(1), percentage: percent }, { required: ['fixedDelay'] }),
      abort: obj({ percentage: percent, message: str }),
    },
    { refine: (o, path, report) => { if (o.delay === undefined && o.abort === undefined) report(path, "one of 'delay' or 'abort' is required"); } },
  ),
  needsRouteActionField('fault'),
);

const rateLimit = all(
  obj({ tokenBucket: obj({ maxTokens: int(1, 4294967295), tokensPerFill: int(1, 4294967295), fillInterval: duration(50) }, { required: ['maxTokens', 'fillInterval'] }) }, { required: ['tokenBucket'] }),
  needsRouteActionField('local_rate_limit'),
);

const rule = obj(
  {
    name: str,
    match: arr(match),
    route: arr(obj({ destination, weight: int(0, 100) }, { required: ['destination'] }), { nonEmpty: true }),
    timeout: duration(0),
    retries: obj({ attempts: int(0, 100), retryOn, idempotent: bool, perTryTimeout: duration(1) }),
    mirror: destination,
    mirrorPercentage: percent,
    fault,
    rateLimit,
  },
  {
    refine: (o, path, report) => {
      if (Array.isArray(o.route) && o.route.length > 1) {
        const total = o.route.reduce((n: number, r: { weight?: unknown }) => n + (typeof r?.weight === 'number' ? r.weight : 0), 0);
        if (total !== 100) report(`${path}.route`, `weights add up to ${total}, must be 100 with several destinations`);
      }
      if (o.mirrorPercentage !== undefined && o.mirror === undefined) report(`${path}.mirrorPercentage`, "needs 'mirror'");
    },
  },
);

/** RpcRoute spec: unknown fields, matchers, weights, durations, retry conditions. */
export const rpcRouteSpec: Check = obj(
  {
    hosts: arr(host, { nonEmpty: true }),
    exportTo,
    colouring: obj({ header: headerName, label: strMatching(/^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/, 'a valid label key') }, { required: ['header'] }),
    rules: all(arr(rule), uniqueBy('name', 'rule name')),
  },
  { required: ['hosts'] },
);
