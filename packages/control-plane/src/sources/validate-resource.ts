import { joinPath } from '@weft/api/lite';
import * as v1alpha3 from '@kubernetes-models/istio/networking.istio.io/v1alpha3';
import * as v1beta1 from '@kubernetes-models/istio/networking.istio.io/v1beta1';
import { apiVersionsFor, ISTIO_KINDS, resourceKey, type AnyIstioResource, type IstioKind } from './istio-resource.js';
import { destinationRuleSpec } from './spec-destination-rule.js';
import { rpcRouteSpec } from './spec-rpc-route.js';
import { gatewaySpec } from './spec-gateway.js';
import { serviceEntrySpec, sidecarSpec, workloadEntrySpec } from './spec-services.js';
import { virtualServiceSpec } from './spec-virtual-service.js';
import { DNS1123_LABEL, isObject, labels as labelsCheck, obj, str, type Check } from './strict-spec.js';

const SPEC_CHECKS: Record<IstioKind, Check> = {
  ServiceEntry: serviceEntrySpec,
  WorkloadEntry: workloadEntrySpec,
  VirtualService: virtualServiceSpec,
  DestinationRule: destinationRuleSpec,
  Sidecar: sidecarSpec,
  Gateway: gatewaySpec,
  RpcRoute: rpcRouteSpec,
};

interface ModelClass {
  new (data: object): { validate(): void };
}
/** `networking.istio.io/v1` has the `v1beta1` schema (the package predates v1). */
const MODELS: Record<string, Record<string, ModelClass>> = {
  'networking.istio.io/v1': v1beta1 as unknown as Record<string, ModelClass>,
  'networking.istio.io/v1beta1': v1beta1 as unknown as Record<string, ModelClass>,
  'networking.istio.io/v1alpha3': v1alpha3 as unknown as Record<string, ModelClass>,
};

const metadataCheck = obj({
  name: str, namespace: str, labels: labelsCheck, annotations: (_v, _p, _r) => undefined,
  uid: str, resourceVersion: str, generation: (_v, _p, _r) => undefined, creationTimestamp: str,
});

export interface DocumentProblem {
  readonly path: string;
  readonly reason: string;
}

export type ValidationResult =
  | { readonly ok: true; readonly resource: AnyIstioResource; readonly key: string }
  | { readonly ok: false; readonly key: string | undefined; readonly problems: readonly DocumentProblem[] };

/** `/spec/http/0/route` (Ajv instance path) → `spec.http[0].route`. */
function pointerToPath(pointer: string): string {
  let out = '';
  for (const seg of pointer.split('/').slice(1)) {
    const key = seg.replace(/~1/g, '/').replace(/~0/g, '~');
    out = /^\d+$/.test(key) ? joinPath(out, Number(key)) : joinPath(out, key);
  }
  return out;
}

interface AjvError { instancePath?: string; message?: string }

function schemaProblems(model: ModelClass, doc: Record<string, unknown>, apiVersion: string): DocumentProblem[] {
  // The model class fixes apiVersion to its own version; v1 documents are checked as v1beta1.
  const data = { ...doc, apiVersion: apiVersion === 'networking.istio.io/v1' ? 'networking.istio.io/v1beta1' : apiVersion };
  try {
    new model(data).validate();
    return [];
  } catch (e) {
    const errors = (e as { errors?: AjvError[] }).errors;
    if (!Array.isArray(errors)) return [{ path: '', reason: `schema validation failed: ${(e as Error).message}` }];
    return errors.map((x) => ({ path: pointerToPath(x.instancePath ?? ''), reason: x.message ?? 'invalid' }));
  }
}

/**
 * Validates one parsed YAML document as an Istio networking resource: envelope (apiVersion, kind, metadata),
 * the CRD schema of @kubernetes-models/istio (types, enums), then Weft's strict pass (unknown fields, durations,
 * ports, formats, in-resource references, fields Weft does not implement).
 */
export function validateDocument(doc: unknown, origin: string, defaultNamespace: string): ValidationResult {
  if (!isObject(doc)) return { ok: false, key: undefined, problems: [{ path: '', reason: 'a resource must be a YAML mapping' }] };
  const problems: DocumentProblem[] = [];
  const report = (path: string, reason: string): void => {
    problems.push({ path, reason });
  };
  const { apiVersion, kind, metadata } = doc;
  const versions = apiVersionsFor(String(kind));
  if (typeof apiVersion !== 'string' || !versions.includes(apiVersion)) {
    report('apiVersion', `'${String(apiVersion)}' is not supported (use one of ${versions.join(', ')})`);
  }
  if (typeof kind !== 'string' || !(ISTIO_KINDS as readonly string[]).includes(kind)) {
    report('kind', `'${String(kind)}' is not supported (use one of ${ISTIO_KINDS.join(', ')})`);
  }
  if (!isObject(metadata)) report('metadata', 'is required');
  else metadataCheck(metadata, 'metadata', report);
  const name = isObject(metadata) ? metadata.name : undefined;
  const namespace = isObject(metadata) && metadata.namespace !== undefined ? metadata.namespace : defaultNamespace;
  if (typeof name !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) {
    report('metadata.name', `'${String(name)}' is not a valid resource name (lower-case DNS-1123 subdomain)`);
  }
  if (typeof namespace !== 'string' || !DNS1123_LABEL.test(namespace) || namespace.length > 63) {
    report('metadata.namespace', `'${String(namespace)}' is not a valid namespace name`);
  }
  for (const k of Object.keys(doc)) {
    if (!['apiVersion', 'kind', 'metadata', 'spec', 'status'].includes(k)) report(k, `unknown field '${k}'`);
  }
  const key = typeof kind === 'string' && typeof name === 'string' && typeof namespace === 'string' ? resourceKey(kind, namespace, name) : undefined;
  if (problems.length > 0) return { ok: false, key, problems };
  const k = kind as IstioKind;
  const version = apiVersion as string;
  const spec = doc.spec ?? {};
  const model = MODELS[version]?.[k];
  if (model) problems.push(...schemaProblems(model, doc, version));
  const strict: DocumentProblem[] = [];
  SPEC_CHECKS[k](spec, 'spec', (path, reason) => strict.push({ path, reason }));
  // Keep Ajv's wording for what it found; add what only the strict pass sees.
  const seen = new Set(problems.map((p) => p.path));
  for (const p of strict) if (!seen.has(p.path)) problems.push(p);
  if (problems.length > 0) return { ok: false, key, problems };
  const meta = metadata as Record<string, unknown>;
  return {
    ok: true,
    key: key as string,
    resource: {
      kind: k,
      apiVersion: version,
      name: name as string,
      namespace: namespace as string,
      labels: (meta.labels ?? {}) as Record<string, string>,
      spec,
      origin,
    } as AnyIstioResource,
  };
}
