import type { Host } from '../host.js';
import { HashLoadBalancer, normalizeWeights, type HostPicker, type LbDeps } from './base.js';
import { xxHash64 } from './hash.js';

export const DEFAULT_MAGLEV_TABLE_SIZE = 65537;

interface BuildEntry {
  host: Host;
  offset: number;
  skip: number;
  weight: number;
  targetWeight: number;
  next: number;
  count: number;
}

/**
 * A Maglev lookup table (Envoy's OriginalMaglevTable, weighted population of the Maglev paper's listing 1):
 * offset = xxHash64(key) % M, skip = xxHash64(key, seed 1) % (M - 1) + 1; a host with weight w/max is placed
 * on one slot every max/w rounds.
 */
export class MaglevTable implements HostPicker {
  readonly table: Host[];

  constructor(
    hosts: readonly Host[],
    readonly size: number,
    useHostnameForHashing: boolean,
  ) {
    const nw = normalizeWeights(hosts);
    const m = BigInt(size);
    const entries: BuildEntry[] = [];
    for (let k = 0; k < nw.hosts.length; k++) {
      const host = nw.hosts[k] as Host;
      const key = useHostnameForHashing ? host.hostname : host.key;
      entries.push({
        host,
        offset: Number(xxHash64(key) % m),
        skip: Number(xxHash64(key, 1n) % (m - 1n)) + 1,
        weight: nw.weights[k] as number,
        targetWeight: 0,
        next: 0,
        count: 0,
      });
    }
    const table = new Array<Host | undefined>(size).fill(undefined);
    if (entries.length > 0) {
      let filled = 0;
      for (let iteration = 1; filled < size; iteration++) {
        for (let i = 0; i < entries.length && filled < size; i++) {
          const e = entries[i] as BuildEntry;
          if (iteration * e.weight < e.targetWeight) continue;
          e.targetWeight += nw.max;
          // (offset + skip * next) % size without leaving exact integer range: skip, next < size < 2^23.
          let c = (e.offset + ((e.skip * e.next) % size)) % size;
          while (table[c] !== undefined) {
            e.next++;
            c = (e.offset + ((e.skip * e.next) % size)) % size;
          }
          table[c] = e.host;
          e.next++;
          e.count++;
          filled++;
        }
      }
    }
    this.table = entries.length > 0 ? (table as Host[]) : [];
  }

  pick(h: number): Host | undefined {
    const t = this.table;
    return t.length === 0 ? undefined : t[h % this.size];
  }
}

/** MAGLEV: consistent hashing with a fixed-size lookup table per priority. */
export class MaglevLoadBalancer extends HashLoadBalancer {
  constructor(
    deps: LbDeps,
    private readonly tableSize: number,
    private readonly useHostnameForHashing: boolean,
  ) {
    super(deps);
  }

  protected createTable(hosts: readonly Host[]): MaglevTable {
    return new MaglevTable(hosts, this.tableSize, this.useHostnameForHashing);
  }
}
