import { ConfigError, joinPath } from '@weft/api/lite';
import type { CertificateValidationContext__Output } from '@weft/api/envoy/envoy/extensions/transport_sockets/tls/v3/CertificateValidationContext.js';
import type { SdsSecretConfig__Output } from '@weft/api/envoy/envoy/extensions/transport_sockets/tls/v3/SdsSecretConfig.js';
import type { Secret__Output } from '@weft/api/envoy/envoy/extensions/transport_sockets/tls/v3/Secret.js';
import type { TlsCertificate__Output } from '@weft/api/envoy/envoy/extensions/transport_sockets/tls/v3/TlsCertificate.js';

/** A resolved secret and the config path its fields are reported under. */
export interface Resolved<T> {
  readonly value: T;
  readonly path: string;
}

/** `static_resources.secrets`, referenced by name from TLS contexts (SDS configs without `sds_config`). */
export class SecretStore {
  private readonly byName = new Map<string, { secret: Secret__Output; path: string }>();

  constructor(secrets: readonly Secret__Output[], path: string) {
    secrets.forEach((s, i) => {
      const p = joinPath(path, i);
      if (!s.name) throw new ConfigError(joinPath(p, 'name'), 'is required');
      if (this.byName.has(s.name)) throw new ConfigError(joinPath(p, 'name'), `duplicate secret name '${s.name}'`);
      if (s.type !== 'tls_certificate' && s.type !== 'validation_context') {
        throw new ConfigError(s.type ? joinPath(p, s.type) : p, 'only tls_certificate and validation_context secrets are supported yet');
      }
      this.byName.set(s.name, { secret: s, path: p });
    });
  }

  tlsCertificate(ref: SdsSecretConfig__Output, refPath: string): Resolved<TlsCertificate__Output> {
    const e = this.lookup(ref, refPath);
    if (!e.secret.tls_certificate) throw new ConfigError(joinPath(refPath, 'name'), `secret '${ref.name}' is not a tls_certificate`);
    return { value: e.secret.tls_certificate, path: joinPath(e.path, 'tls_certificate') };
  }

  validationContext(ref: SdsSecretConfig__Output, refPath: string): Resolved<CertificateValidationContext__Output> {
    const e = this.lookup(ref, refPath);
    if (!e.secret.validation_context) throw new ConfigError(joinPath(refPath, 'name'), `secret '${ref.name}' is not a validation_context`);
    return { value: e.secret.validation_context, path: joinPath(e.path, 'validation_context') };
  }

  private lookup(ref: SdsSecretConfig__Output, refPath: string): { secret: Secret__Output; path: string } {
    if (ref.sds_config) throw new ConfigError(joinPath(refPath, 'sds_config'), 'SDS over xDS is not supported yet (use static_resources.secrets)');
    const e = this.byName.get(ref.name);
    if (!e) throw new ConfigError(joinPath(refPath, 'name'), `unknown secret '${ref.name}' (static_resources.secrets)`);
    return e;
  }
}

/** No static secrets: every reference is an error. */
export const NO_SECRETS = new SecretStore([], 'static_resources.secrets');

/**
 * combined_validation_context: the SDS context merged into the default one the way protobuf MergeFrom does —
 * repeated fields are appended, set singular fields replace.
 */
export function mergeValidationContexts(base: CertificateValidationContext__Output, over: CertificateValidationContext__Output): CertificateValidationContext__Output {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    if (Array.isArray(v)) out[k] = Array.isArray(b) ? [...(b as unknown[]), ...v] : v;
    else if (v !== null && v !== undefined && v !== false && v !== '' && !(k === 'trust_chain_verification' && v === 'VERIFY_TRUST_CHAIN')) out[k] = v;
  }
  return out as unknown as CertificateValidationContext__Output;
}
