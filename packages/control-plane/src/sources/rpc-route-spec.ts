/**
 * `RpcRoute` (`rpc.weft.io/v1alpha1`): Weft's routing resource for RPC traffic (Bolt, Dubbo, Thrift), the RPC
 * counterpart of a VirtualService. It applies to the ServiceEntry hosts in `hosts`; its rules are translated into
 * the rpc_proxy route table of the sidecar listeners serving those hosts.
 */
export interface RpcStringMatch {
  readonly exact?: string;
  readonly prefix?: string;
  readonly regex?: string;
}

export interface RpcParameterMatch extends RpcStringMatch {
  /** Zero-based argument index. */
  readonly index: number;
}

export interface RpcMatch {
  readonly service?: RpcStringMatch;
  readonly method?: RpcStringMatch;
  readonly version?: RpcStringMatch;
  readonly group?: RpcStringMatch;
  readonly application?: RpcStringMatch;
  readonly headers?: Readonly<Record<string, RpcStringMatch>>;
  readonly parameters?: readonly RpcParameterMatch[];
}

export interface RpcDestination {
  readonly host: string;
  readonly subset?: string;
  readonly port?: { readonly number: number };
}

export interface RpcRouteDestination {
  readonly destination: RpcDestination;
  readonly weight?: number;
}

export interface RpcFault {
  readonly delay?: { readonly fixedDelay: string; readonly percentage?: { readonly value: number } };
  readonly abort?: { readonly percentage?: { readonly value: number }; readonly message?: string };
}

export interface RpcRateLimit {
  readonly tokenBucket: { readonly maxTokens: number; readonly tokensPerFill?: number; readonly fillInterval: string };
}

export interface RpcRule {
  readonly name?: string;
  /** Any entry matches (OR); an entry's conditions all hold (AND). None: every call to the hosts. */
  readonly match?: readonly RpcMatch[];
  readonly route?: readonly RpcRouteDestination[];
  readonly timeout?: string;
  readonly retries?: {
    readonly attempts?: number;
    readonly retryOn?: string;
    readonly idempotent?: boolean;
    /** Timeout of each attempt (Istio's HTTPRetry.perTryTimeout); the rule's timeout still bounds the whole call. */
    readonly perTryTimeout?: string;
  };
  readonly mirror?: RpcDestination;
  readonly mirrorPercentage?: { readonly value: number };
  readonly fault?: RpcFault;
  readonly rateLimit?: RpcRateLimit;
}

export interface RpcRouteSpec {
  readonly hosts?: readonly string[];
  readonly exportTo?: readonly string[];
  /** Traffic colouring for the listeners serving these hosts: header/attachment `header`, endpoint label `label`. */
  readonly colouring?: { readonly header: string; readonly label?: string };
  readonly rules?: readonly RpcRule[];
}
