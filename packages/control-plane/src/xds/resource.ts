import { createHash } from 'node:crypto';
import { encodeMessage } from '@weft/api';
import { ENDPOINT_TYPE, messageTypeName, type TypeUrl } from './type-urls.js';
import { MessageWriter } from './wire.js';

/**
 * One xDS resource at one version. The message is encoded once; the Any (SotW) and Resource (Delta) wrappers are
 * built on first use and shared by every proxy and stream that receives this version.
 */
export class XdsResource {
  private anyBytes: Buffer | undefined;
  private deltaBytes: Buffer | undefined;
  private digestWords: Uint32Array | undefined;

  constructor(
    readonly typeUrl: TypeUrl,
    readonly name: string,
    /** The encoded message (the Any's `value`). */
    readonly body: Uint8Array,
    /** Content version: equal versions mean equal bytes. */
    readonly version: string,
  ) {}

  /** `google.protobuf.Any { type_url, value }`. */
  get any(): Buffer {
    this.anyBytes ??= new MessageWriter().string(1, this.typeUrl).bytes(2, this.body).finish();
    return this.anyBytes;
  }

  /** 128 bits of a hash of (type, name, version), computed once per resource version (see `setVersion`). */
  get digest(): Uint32Array {
    if (this.digestWords === undefined) {
      const d = createHash('sha256').update(`${this.typeUrl}\n${this.name}\n${this.version}`).digest();
      this.digestWords = new Uint32Array([d.readUInt32BE(0), d.readUInt32BE(4), d.readUInt32BE(8), d.readUInt32BE(12)]);
    }
    return this.digestWords;
  }

  /** `envoy.service.discovery.v3.Resource { name, version, resource }`. */
  get delta(): Buffer {
    this.deltaBytes ??= new MessageWriter().string(3, this.name).string(1, this.version).bytes(2, this.any).finish();
    return this.deltaBytes;
  }
}

/** A short content hash, used as the resource version when the producer has none. */
export function contentVersion(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('base64url').slice(0, 16);
}

/**
 * A version for a set of resources that depends only on their contents (not on order or on when they were built),
 * so control-plane replicas serving the same config report the same `version_info`. The per-resource digests are
 * summed lane by lane: O(n) additions per call, one hash per resource version.
 */
export function setVersion(resources: Iterable<XdsResource>): string {
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  let n = 0;
  for (const r of resources) {
    const w = r.digest;
    a = (a + (w[0] ?? 0)) >>> 0;
    b = (b + (w[1] ?? 0)) >>> 0;
    c = (c + (w[2] ?? 0)) >>> 0;
    d = (d + (w[3] ?? 0)) >>> 0;
    n++;
  }
  const hex = (x: number): string => x.toString(16).padStart(8, '0');
  return `${n}-${hex(a)}${hex(b)}${hex(c)}${hex(d)}`;
}

/** Wraps already-encoded message bytes; the version defaults to a hash of the bytes. */
export function resourceFromBytes(typeUrl: TypeUrl, name: string, body: Uint8Array, version?: string): XdsResource {
  return new XdsResource(typeUrl, name, body, version ?? contentVersion(body));
}

/** The resource name of a message: `cluster_name` for ClusterLoadAssignment, `name` for the other xDS types. */
export function resourceNameOf(typeUrl: TypeUrl, message: object): string {
  const field = typeUrl === ENDPOINT_TYPE ? 'cluster_name' : 'name';
  const name = (message as Record<string, unknown>)[field];
  if (typeof name !== 'string' || name === '') throw new Error(`${messageTypeName(typeUrl)} has no ${field}`);
  return name;
}

/**
 * Encodes a message given in protobufjs form or in the decoded `__Output` form (Any as `{'@type', ...}`), e.g. the
 * result of `messageFromJson`, with the Envoy protos of @weft/api.
 */
export function resourceFromMessage(typeUrl: TypeUrl, message: object, version?: string): XdsResource {
  const body = encodeMessage(messageTypeName(typeUrl), message);
  return resourceFromBytes(typeUrl, resourceNameOf(typeUrl, message), body, version);
}
