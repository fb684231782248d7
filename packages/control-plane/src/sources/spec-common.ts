import { arr, host, isObject, map, obj, port, str, strMatching, type Check } from './strict-spec.js';

/** Istio StringMatch: exactly one of exact / prefix / regex. */
export const stringMatch: Check = obj(
  { exact: str, prefix: str, regex: regexString() },
  {
    oneOf: [['exact', 'prefix', 'regex']],
    refine: (o, path, report) => {
      if (o.exact === undefined && o.prefix === undefined && o.regex === undefined) report(path, "one of 'exact', 'prefix' or 'regex' is required");
    },
  },
);

/** A regular expression (RE2 in Istio; checked here with the JS engine, which accepts a superset). */
export function regexString(): Check {
  return (v, path, report) => {
    if (typeof v !== 'string') return report(path, 'expected a string');
    try {
      new RegExp(v, 'u');
    } catch (e) {
      report(path, `invalid regex: ${(e as Error).message}`);
    }
  };
}

export const portSelector = obj({ number: port }, { required: ['number'] });

export const destination = obj({ host, subset: strMatching(/^[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/, 'a valid subset name'), port: portSelector }, { required: ['host'] });

export const headerOps = obj({ set: map(str), add: map(str), remove: arr(str) });
export const headers = obj({ request: headerOps, response: headerOps });

export const percent = obj({ value: (v, path, report) => {
  if (typeof v !== 'number' || v < 0 || v > 100) report(path, 'must be a number in [0, 100]');
} });

/** `namespace/host` entries of Sidecar egress and Gateway server hosts. */
export const namespacedHost: Check = (v, path, report) => {
  if (typeof v !== 'string') return report(path, 'expected a string');
  const parts = v.split('/');
  if (parts.length !== 2) return report(path, `'${v}' must be 'namespace/host' (namespace: '.', '*', '~' or a name)`);
  const [ns = '', h = ''] = parts;
  if (!/^(\.|\*|~|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$/.test(ns)) report(path, `'${ns}' is not '.', '*', '~' or a namespace name`);
  host(h, path, report);
};

/** Port names must be unique inside one list. */
export function uniqueBy(field: string, what: string): (list: unknown, path: string, report: (p: string, r: string) => void) => void {
  return (list, path, report) => {
    if (!Array.isArray(list)) return;
    const seen = new Set<unknown>();
    list.forEach((x, i) => {
      if (!isObject(x) || x[field] === undefined) return;
      if (seen.has(x[field])) report(`${path}[${i}].${field}`, `duplicate ${what} '${String(x[field])}'`);
      seen.add(x[field]);
    });
  };
}

/** gRPC status names in code order (Istio's `fault.abort.grpcStatus` takes the name, e.g. `UNAVAILABLE`, not `14`). */
export const GRPC_STATUS_NAMES: readonly string[] = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS',
  'UNAUTHENTICATED',
];
