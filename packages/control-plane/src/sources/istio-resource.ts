import type { IDestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule';
import type { IGateway } from '@kubernetes-models/istio/networking.istio.io/v1beta1/Gateway';
import type { IServiceEntry } from '@kubernetes-models/istio/networking.istio.io/v1beta1/ServiceEntry';
import type { ISidecar } from '@kubernetes-models/istio/networking.istio.io/v1beta1/Sidecar';
import type { IVirtualService } from '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService';
import type { IWorkloadEntry } from '@kubernetes-models/istio/networking.istio.io/v1beta1/WorkloadEntry';

export type ServiceEntrySpec = NonNullable<IServiceEntry['spec']>;
export type WorkloadEntrySpec = NonNullable<IWorkloadEntry['spec']>;
export type VirtualServiceSpec = NonNullable<IVirtualService['spec']>;
export type DestinationRuleSpec = NonNullable<IDestinationRule['spec']>;
export type SidecarSpec = NonNullable<ISidecar['spec']>;
export type GatewaySpec = NonNullable<IGateway['spec']>;

import type { RpcRouteSpec } from './rpc-route-spec.js';

export type { RpcRouteSpec };

export interface SpecByKind {
  ServiceEntry: ServiceEntrySpec;
  WorkloadEntry: WorkloadEntrySpec;
  VirtualService: VirtualServiceSpec;
  DestinationRule: DestinationRuleSpec;
  Sidecar: SidecarSpec;
  Gateway: GatewaySpec;
  RpcRoute: RpcRouteSpec;
}
export type IstioKind = keyof SpecByKind;
export const ISTIO_KINDS: readonly IstioKind[] = ['ServiceEntry', 'WorkloadEntry', 'VirtualService', 'DestinationRule', 'Sidecar', 'Gateway', 'RpcRoute'];
export const API_VERSIONS = ['networking.istio.io/v1', 'networking.istio.io/v1beta1', 'networking.istio.io/v1alpha3'];
/** Weft's own kinds and their API versions (Istio's networking versions do not apply to them). */
export const WEFT_API_VERSIONS: Readonly<Partial<Record<IstioKind, readonly string[]>>> = { RpcRoute: ['rpc.weft.io/v1alpha1'] };

export function apiVersionsFor(kind: string): readonly string[] {
  return WEFT_API_VERSIONS[kind as IstioKind] ?? API_VERSIONS;
}

/** A validated Istio resource (its spec passed the schema and Weft's strict checks). */
export interface IstioResource<K extends IstioKind = IstioKind> {
  readonly kind: K;
  readonly apiVersion: string;
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly spec: SpecByKind[K];
  /** Where it came from (file path for the directory source). */
  readonly origin: string;
}

export type AnyIstioResource = { [K in IstioKind]: IstioResource<K> }[IstioKind];

/** `Kind/namespace/name`: the identity of a resource across files and edits. */
export function resourceKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}
