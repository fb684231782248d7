import http from 'node:http';
import type { Counter } from '../../interfaces/stats.js';
import type { Host } from '../host.js';
import type { HttpCheckConfig } from './hc-config.js';
import { ProbeOutcome, type Probe, type ProbeCallbacks } from './probe.js';

function inRanges(code: number, ranges: ReadonlyArray<readonly [number, number]>): boolean {
  for (const [start, end] of ranges) if (code >= start && code < end) return true;
  return false;
}

/**
 * HTTP/1.1 check with node:http (not the data path): GET `path` with `Host: host || cluster`, `User-Agent: Envoy/HC`.
 * With reuse_connection one keep-alive connection carries every check.
 */
export class HttpProbe implements Probe {
  private readonly agent: http.Agent | undefined;
  private req: http.ClientRequest | undefined;
  private readonly headers: Record<string, string | string[]>;

  constructor(
    private readonly host: Host,
    private readonly cfg: HttpCheckConfig,
    clusterName: string,
    reuse: boolean,
    private readonly cb: ProbeCallbacks,
    private readonly verifyCluster: Counter,
  ) {
    this.agent = reuse ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : undefined;
    const headers: Record<string, string | string[]> = { host: cfg.host || clusterName, 'user-agent': 'Envoy/HC' };
    for (const name of cfg.headersToRemove) delete headers[name];
    for (const h of cfg.headersToAdd) {
      const prev = headers[h.name];
      if (h.append && prev !== undefined) headers[h.name] = Array.isArray(prev) ? [...prev, h.value] : [prev, h.value];
      else headers[h.name] = h.value;
    }
    this.headers = headers;
  }

  start(): void {
    const req = http.request({
      host: this.host.address,
      port: this.host.port,
      method: this.cfg.method,
      path: this.cfg.path,
      headers: this.headers,
      agent: this.agent ?? false,
      setHost: false,
    });
    this.req = req;
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => {
        if (this.req !== req) return;
        this.req = undefined;
        const code = res.statusCode ?? 0;
        if (res.headers['x-envoy-immediate-health-check-fail'] !== undefined) this.cb.onImmediateFail();
        if (inRanges(code, this.cfg.expectedStatuses)) {
          const matcher = this.cfg.serviceNameMatcher;
          if (matcher !== undefined) {
            this.verifyCluster.inc();
            const checked = res.headers['x-envoy-upstream-healthchecked-cluster'];
            if (!matcher.match(typeof checked === 'string' ? checked : '')) {
              this.cb.onProbeDone(ProbeOutcome.FAILED);
              return;
            }
          }
          this.cb.onProbeDone(res.headers['x-envoy-degraded'] !== undefined ? ProbeOutcome.DEGRADED : ProbeOutcome.HEALTHY);
        } else {
          this.cb.onProbeDone(inRanges(code, this.cfg.retriableStatuses) ? ProbeOutcome.FAILED_RETRIABLE : ProbeOutcome.FAILED);
        }
      });
    });
    req.on('error', () => {
      if (this.req !== req) return;
      this.req = undefined;
      this.cb.onProbeDone(ProbeOutcome.NETWORK);
    });
    req.end();
  }

  cancel(): void {
    const req = this.req;
    this.req = undefined;
    // Destroying the request closes its socket: Envoy closes the connection on a timeout too.
    req?.destroy();
  }

  close(): void {
    this.cancel();
    this.agent?.destroy();
  }
}
