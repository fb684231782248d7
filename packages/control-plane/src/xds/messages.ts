import { envoyType, OUTPUT_OPTIONS } from '@weft/api';
import type { DeltaDiscoveryRequest__Output } from '@weft/api/envoy/envoy/service/discovery/v3/DeltaDiscoveryRequest.js';
import type { DiscoveryRequest__Output } from '@weft/api/envoy/envoy/service/discovery/v3/DiscoveryRequest.js';
import type protobuf from 'protobufjs';
import type { XdsResource } from './resource.js';
import { MessageWriter } from './wire.js';

export type { DeltaDiscoveryRequest__Output, DiscoveryRequest__Output };

let sotwType: protobuf.Type | undefined;
let deltaType: protobuf.Type | undefined;

/** Requests are small: decoded with protobufjs into the generated `__Output` shape. */
export function decodeDiscoveryRequest(bytes: Buffer): DiscoveryRequest__Output {
  sotwType ??= envoyType('envoy.service.discovery.v3.DiscoveryRequest');
  return sotwType.toObject(sotwType.decode(bytes), OUTPUT_OPTIONS) as DiscoveryRequest__Output;
}

export function decodeDeltaDiscoveryRequest(bytes: Buffer): DeltaDiscoveryRequest__Output {
  deltaType ??= envoyType('envoy.service.discovery.v3.DeltaDiscoveryRequest');
  return deltaType.toObject(deltaType.decode(bytes), OUTPUT_OPTIONS) as DeltaDiscoveryRequest__Output;
}

/** `DiscoveryResponse { version_info, resources, type_url, nonce }` from pre-encoded Anys. */
export function encodeDiscoveryResponse(versionInfo: string, typeUrl: string, nonce: string, resources: readonly XdsResource[]): Buffer {
  const w = new MessageWriter().string(1, versionInfo);
  for (const r of resources) w.bytes(2, r.any);
  return w.string(4, typeUrl).string(5, nonce).finish();
}

/** `DeltaDiscoveryResponse { system_version_info, resources, type_url, removed_resources, nonce }`. */
export function encodeDeltaDiscoveryResponse(
  systemVersion: string,
  typeUrl: string,
  nonce: string,
  resources: readonly XdsResource[],
  removed: readonly string[],
): Buffer {
  const w = new MessageWriter().string(1, systemVersion);
  for (const r of resources) w.bytes(2, r.delta);
  w.string(4, typeUrl).string(5, nonce);
  for (const name of removed) w.repeatedString(6, name);
  return w.finish();
}
