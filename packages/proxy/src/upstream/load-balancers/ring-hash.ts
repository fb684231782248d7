import type { Host } from '../host.js';
import { HashLoadBalancer, normalizeWeights, type HostPicker, type LbDeps } from './base.js';
import { murmurHash2, xxHash64 } from './hash.js';

export interface RingHashOptions {
  minimumRingSize: number;
  maximumRingSize: number;
  hashFunction: 'XX_HASH' | 'MURMUR_HASH_2';
  useHostnameForHashing: boolean;
}

/**
 * A ketama ring (Envoy's RingHashLoadBalancer::Ring). Each host gets `scale * normalized weight` points hashed from
 * `<address>_<i>`; points are the high 32 bits of Envoy's 64-bit hashes, so the order matches Envoy's ring.
 */
export class Ring implements HostPicker {
  readonly points: Uint32Array;
  readonly hosts: Host[];
  /** Points per host (min/max), as Envoy reports them in its ring hash stats. */
  readonly minHashesPerHost: number;
  readonly maxHashesPerHost: number;

  constructor(hostList: readonly Host[], opts: RingHashOptions) {
    const nw = normalizeWeights(hostList);
    const scale = Math.min(Math.ceil(nw.min * opts.minimumRingSize) / nw.min, opts.maximumRingSize);
    const size = Math.ceil(scale);
    // Floating-point running sums may add one point beyond ceil(scale): leave room for it.
    const capacity = size + nw.hosts.length;
    const hi = new Uint32Array(capacity);
    const lo = new Uint32Array(capacity);
    const owner: Host[] = [];
    const hashFn = opts.hashFunction === 'MURMUR_HASH_2' ? murmurHash2 : xxHash64;
    let current = 0;
    let target = 0;
    let n = 0;
    let minHashes = size;
    let maxHashes = 0;
    for (let k = 0; k < nw.hosts.length; k++) {
      const host = nw.hosts[k] as Host;
      const key = `${opts.useHostnameForHashing ? host.hostname : host.key}_`;
      target += scale * (nw.weights[k] as number);
      let i = 0;
      while (current < target) {
        const h = hashFn(key + i);
        hi[n] = Number(h >> 32n);
        lo[n] = Number(h & 0xffffffffn);
        owner.push(host);
        n++;
        i++;
        current++;
      }
      if (i < minHashes) minHashes = i;
      if (i > maxHashes) maxHashes = i;
    }
    const order = Array.from({ length: n }, (_, j) => j);
    order.sort((a, b) => (hi[a] as number) - (hi[b] as number) || (lo[a] as number) - (lo[b] as number));
    this.points = new Uint32Array(n);
    this.hosts = new Array<Host>(n);
    for (let j = 0; j < n; j++) {
      const src = order[j] as number;
      this.points[j] = hi[src] as number;
      this.hosts[j] = owner[src] as Host;
    }
    this.minHashesPerHost = minHashes;
    this.maxHashesPerHost = maxHashes;
  }

  /** The first point >= h, wrapping to the start (ketama_get_server, as Envoy ports it). */
  pick(h: number): Host | undefined {
    const ring = this.points;
    const len = ring.length;
    if (len === 0) return undefined;
    let low = 0;
    let high = len;
    let mid = 0;
    for (;;) {
      mid = (low + high) >>> 1;
      if (mid === len) {
        mid = 0;
        break;
      }
      const midVal = ring[mid] as number;
      const midVal1 = mid === 0 ? 0 : (ring[mid - 1] as number);
      if (h <= midVal && h > midVal1) break;
      if (midVal < h) low = mid + 1;
      else high = mid - 1;
      if (low > high) {
        mid = 0;
        break;
      }
    }
    return this.hosts[mid];
  }
}

/** RING_HASH: consistent hashing on a weighted ketama ring per priority. */
export class RingHashLoadBalancer extends HashLoadBalancer {
  constructor(
    deps: LbDeps,
    private readonly opts: RingHashOptions,
  ) {
    super(deps);
  }

  protected createTable(hosts: readonly Host[]): Ring {
    return new Ring(hosts, this.opts);
  }
}
