import { Client, credentials, type ClientDuplexStream } from '@grpc/grpc-js';
import { envoyType, OUTPUT_OPTIONS } from '@weft/api';

/** Decoded response as the tests see it: Anys unpacked to `{'@type', ...fields}`. */
export type Decoded = Record<string, unknown> & { nonce: string; type_url: string };

/** A raw ADS client for protocol tests: sends requests as plain objects and queues decoded responses. */
export class RawAdsClient {
  private readonly client: Client;
  private readonly call: ClientDuplexStream<object, Decoded>;
  private readonly queue: Decoded[] = [];
  private waiter: (() => void) | undefined;
  status: { code: number; details: string } | undefined;

  constructor(port: number, readonly variant: 'sotw' | 'delta') {
    const [reqName, resName, method] =
      variant === 'sotw'
        ? ['DiscoveryRequest', 'DiscoveryResponse', 'StreamAggregatedResources']
        : ['DeltaDiscoveryRequest', 'DeltaDiscoveryResponse', 'DeltaAggregatedResources'];
    const reqType = envoyType(`envoy.service.discovery.v3.${reqName}`);
    const resType = envoyType(`envoy.service.discovery.v3.${resName}`);
    this.client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
    this.call = this.client.makeBidiStreamRequest(
      `/envoy.service.discovery.v3.AggregatedDiscoveryService/${method}`,
      (o: object) => Buffer.from(reqType.encode(reqType.fromObject(o)).finish()),
      (b: Buffer) => resType.toObject(resType.decode(b), OUTPUT_OPTIONS) as Decoded,
    );
    this.call.on('data', (d: Decoded) => {
      this.queue.push(d);
      this.waiter?.();
    });
    this.call.on('error', (e: { code: number; details: string }) => {
      this.status = { code: e.code, details: e.details };
      this.waiter?.();
    });
  }

  send(req: object): void {
    this.call.write(req);
  }

  /** The next response; rejects after `timeoutMs`. */
  async next(timeoutMs = 2000): Promise<Decoded> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      if (this.status) throw new Error(`stream ended: ${this.status.code} ${this.status.details}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no response');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.queue.shift() as Decoded;
  }

  /** Resolves true when no response arrives within `ms`. */
  async quiet(ms = 150): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return this.queue.length === 0;
  }

  /** Waits for the stream to end with a status. */
  async ended(timeoutMs = 2000): Promise<{ code: number; details: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.status && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    if (!this.status) throw new Error('stream did not end');
    return this.status;
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}
