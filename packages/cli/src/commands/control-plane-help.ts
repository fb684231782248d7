import { LOG_LEVELS } from '@weft/proxy';

/** Kept apart from the command so `weft proxy` / `weft help` never load the control plane (gRPC, Istio models). */
export const CONTROL_PLANE_HELP = `Usage: weft control-plane (--config-dir <dir> | --etcd-endpoints <urls> | --snapshot-file <file>) [options]

Runs the control plane: an ADS server (State-of-the-World and Delta) and its debug HTTP API.

Options:
      --config-dir <dir>      Istio resources (ServiceEntry, WorkloadEntry, VirtualService, DestinationRule,
                              Sidecar, Gateway) and Weft's RpcRoute (rpc.weft.io/v1alpha1) in multi-document
                              YAML files, watched: edits apply live
      --etcd-endpoints <urls> instead: the same resources stored in etcd (comma-separated http://host:port
                              client URLs), one or more YAML/JSON documents per key, watched: puts and
                              deletes apply live; replicas on the same etcd serve identical config and versions
      --etcd-prefix <prefix>  key prefix holding the resources (default /weft/config/)
      --snapshot-file <file>  instead: Envoy resources served to every proxy as they are (listeners, routes,
                              clusters and endpoints lists in proto3 JSON)
      --xds-address <addr>    gRPC ADS address (default 127.0.0.1:15010)
      --http-address <addr>   debug/admin HTTP API address (default 127.0.0.1:15014)
      --debounce <ms>         collect changes this long before pushing (default 100)
  -l, --log-level <level>     ${LOG_LEVELS.join('|')} (default info)
  -h, --help                  print this help
`;
