import { INTERCEPT_FLAGS_HELP } from './intercept-flags.js';
import { DEFAULT_ADMIN_PORT, DEFAULT_AGENT_PORT, DEFAULT_BACKOFF, DEFAULT_CONTROL_PLANE, IDENTITY_ENV } from '@weft/agent';

const env = (flag: keyof typeof IDENTITY_ENV): string => `(env ${IDENTITY_ENV[flag]})`;

export const AGENT_HELP = `Usage: weft agent [options]          run: write the bootstrap, supervise 'weft proxy', serve the agent API
       weft agent status [--agent host:port] [-o table|json]

Runs beside a workload (PID 1 of a sidecar container, or a service on a VM). Writes the proxy's Envoy v3 bootstrap
(ADS over gRPC to the control plane) from the workload's identity, starts 'weft proxy', restarts it with exponential
backoff when it crashes, and serves a local HTTP API on 127.0.0.1:
  GET /status    proxy pid, state, readiness, restarts, uptime, last upgrade, identity (JSON)
  GET /ready     200 LIVE when the proxy's admin /ready says LIVE, else 503 (for a readiness probe)
  POST /upgrade  hot upgrade: optional JSON {"binary": "/path/weft.js", "timeoutMs": 30000}
SIGTERM/SIGINT: like Istio's agent, POST /drain_listeners?inboundonly&graceful to the proxy, wait until it has no
active downstream connection (at most --termination-drain), SIGTERM it, wait for its exit, exit 0. A second signal
kills the proxy and exits 1 at once.
A proxy that was LIVE and exits with code 0 (e.g. /quitquitquit) ends the agent with 0; any other exit is a crash.

Identity (a flag, else its environment variable):
      --service <name>         service name (required) ${env('service')}
      --namespace <ns>         namespace (default default) ${env('namespace')}
      --workload <name>        instance name (default <service>-<ip>) ${env('workload')}
      --labels <k=v,...>       workload labels (default app=<service>) ${env('labels')}
      --ip <address>           workload IP (default the first non-loopback IPv4) ${env('ip')}
      --proxy-type <type>      sidecar|router (default sidecar) ${env('proxy-type')}
      --cluster-id <id>        cluster id, node metadata CLUSTER_ID ${env('cluster-id')}
      --locality <r/z/s>       region[/zone[/subzone]] ${env('locality')}
      --dns-domain <domain>    default <namespace>.svc.cluster.local ${env('dns-domain')}
      --interception-mode <m>  none|redirect: redirect when iptables capture the workload's traffic (the control
                               plane then serves virtualOutbound 15001 / virtualInbound 15006) ${env('interception-mode')}
      --control-plane <h:p>    ADS address (default ${DEFAULT_CONTROL_PLANE}) ${env('control-plane')}
      --xds-api <api>          delta|sotw (default delta) ${env('xds-api')}
      --admin-port <port>      proxy admin port on 127.0.0.1 (default ${DEFAULT_ADMIN_PORT}) ${env('admin-port')}
Agent:
      --agent-port <port>      agent API port on 127.0.0.1 (default ${DEFAULT_AGENT_PORT}; 0 = any)
      --work-dir <dir>         where bootstrap.yaml is written (default <tmpdir>/weft-agent-<workload>)
      --bootstrap-only         write the bootstrap, print it and exit
      --proxy-binary <file>    weft.js or executable to run as the proxy (default this weft)
      --termination-drain <sec>  longest wait for connections before the SIGTERM on stop (default 5, 0 = none)
      --ready-interval <ms>    how often the proxy's /ready is polled (default 1000)
      --restart-backoff <ms>   first restart delay, doubled per consecutive crash (default ${DEFAULT_BACKOFF.initialMs})
      --restart-backoff-max <ms>  delay cap (default ${DEFAULT_BACKOFF.maxMs})
      --restart-reset <ms>     uptime after which crashes count from zero again (default ${DEFAULT_BACKOFF.resetAfterMs})
      --max-restarts <n>       consecutive crashes before the agent gives up and exits 1 (default ${DEFAULT_BACKOFF.maxConsecutive}, 0 = never)
Interception (with --interception-mode redirect; the API then also serves GET /intercept, POST /intercept/on,
POST /intercept/off, GET /intercept/rules, and /status has an 'interception' section). The proxy runs as
--proxy-uid/--proxy-gid so that the capture rules never redirect its own traffic; the agent must be root.
The rules go in the agent's network namespace, or in --netns (then the proxy must still be reachable on
127.0.0.1 from the agent: usually run the agent itself in the workload's namespace with 'ip netns exec').
      --intercept-on-start                install the rules once the proxy is ready (always removed, after a drain, on stop)
      --max-wait <sec>                    longest a toggle waits for in-flight work (default 10)
${INTERCEPT_FLAGS_HELP}Proxy (passed to 'weft proxy'):
      --concurrency <n>  --drain-time <sec> (the proxy's graceful drain period)  -l, --log-level <level>
  -h, --help               print this help
`;
