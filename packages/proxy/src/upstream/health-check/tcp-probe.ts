import { connect, type Socket } from 'node:net';
import type { Host } from '../host.js';
import type { TcpCheckConfig } from './hc-config.js';
import { ProbeOutcome, type Probe, type ProbeCallbacks } from './probe.js';

/** Envoy's fuzzy match: every block appears in `data`, in order, without overlapping. */
export function matchesInOrder(blocks: readonly Buffer[], data: Buffer): boolean {
  let from = 0;
  for (const b of blocks) {
    const at = data.indexOf(b, from);
    if (at < 0) return false;
    from = at + b.length;
  }
  return true;
}

/** TCP check: connect, write `send`, succeed once `receive` is found (or on connect when there is none). */
export class TcpProbe implements Probe {
  private socket: Socket | undefined;
  private received: Buffer[] = [];
  private inFlight = false;

  constructor(
    private readonly host: Host,
    private readonly cfg: TcpCheckConfig,
    private readonly reuse: boolean,
    private readonly cb: ProbeCallbacks,
  ) {}

  start(): void {
    this.inFlight = true;
    this.received = [];
    const s = this.socket;
    if (s !== undefined && !s.destroyed && !s.connecting) {
      this.sendPayload(s);
      return;
    }
    if (s !== undefined && s.connecting) return;
    this.openSocket();
  }

  cancel(): void {
    this.inFlight = false;
    this.destroySocket();
  }

  close(): void {
    this.cancel();
  }

  private openSocket(): void {
    const s = connect({ host: this.host.address, port: this.host.port });
    this.socket = s;
    s.setNoDelay(true);
    s.on('connect', () => {
      if (this.cfg.receive.length === 0) {
        // Connect-only check: succeed and close (Envoy does the same).
        this.destroySocket();
        this.finish(ProbeOutcome.HEALTHY);
        return;
      }
      this.sendPayload(s);
    });
    s.on('data', (chunk: Buffer) => {
      if (!this.inFlight) return;
      this.received.push(chunk);
      if (matchesInOrder(this.cfg.receive, Buffer.concat(this.received))) {
        if (!this.reuse) this.destroySocket();
        this.finish(ProbeOutcome.HEALTHY);
      }
    });
    s.on('error', () => {});
    s.on('close', () => {
      if (this.socket !== s) return; // closed by us
      this.socket = undefined;
      this.finish(ProbeOutcome.NETWORK);
    });
  }

  private sendPayload(s: Socket): void {
    if (this.cfg.send !== undefined) s.write(this.cfg.send);
  }

  private finish(outcome: ProbeOutcome): void {
    if (!this.inFlight) return;
    this.inFlight = false;
    this.cb.onProbeDone(outcome);
  }

  private destroySocket(): void {
    const s = this.socket;
    this.socket = undefined;
    s?.destroy();
  }
}
