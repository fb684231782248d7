import { promises as dns } from 'node:dns';

/**
 * Resolves a name to the addresses of one family. Rejects (or returns []) when there are none. Injectable so tests
 * and later a c-ares based resolver can replace the default.
 */
export type DnsResolver = (hostname: string, family: 4 | 6) => Promise<string[]>;

export type DnsLookupFamily = 'AUTO' | 'V4_ONLY' | 'V6_ONLY' | 'V4_PREFERRED' | 'ALL';

/** getaddrinfo through `dns.lookup`, so `localhost` and /etc/hosts work like for any local program. */
export const systemResolver: DnsResolver = async (hostname, family) => {
  const answers = await dns.lookup(hostname, { all: true, family });
  const out: string[] = [];
  for (const a of answers) if (a.family === family) out.push(a.address);
  return out;
};

export class DnsResolutionError extends Error {
  readonly code = 'WEFT_ERR_DNS_RESOLUTION';
  constructor(hostname: string, options?: { cause?: unknown }) {
    super(`DNS resolution of ${hostname} returned no addresses`, options);
    this.name = 'DnsResolutionError';
  }
}

async function tryResolve(resolver: DnsResolver, hostname: string, family: 4 | 6): Promise<string[] | Error> {
  try {
    return await resolver(hostname, family);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

function nonEmpty(r: string[] | Error): r is string[] {
  return Array.isArray(r) && r.length > 0;
}

/**
 * Envoy's `dns_lookup_family`: AUTO = IPv6 then IPv4 if none, V4_PREFERRED = IPv4 then IPv6 if none, ALL = both
 * (IPv4 first). Rejects with DnsResolutionError when no address was found.
 */
export async function resolveFamily(
  resolver: DnsResolver,
  hostname: string,
  lookupFamily: DnsLookupFamily,
): Promise<string[]> {
  let result: string[] | Error;
  switch (lookupFamily) {
    case 'V4_ONLY':
      result = await tryResolve(resolver, hostname, 4);
      break;
    case 'V6_ONLY':
      result = await tryResolve(resolver, hostname, 6);
      break;
    case 'AUTO':
    case 'V4_PREFERRED': {
      const [first, second]: [4 | 6, 4 | 6] = lookupFamily === 'AUTO' ? [6, 4] : [4, 6];
      result = await tryResolve(resolver, hostname, first);
      if (!nonEmpty(result)) {
        const fallback = await tryResolve(resolver, hostname, second);
        result = nonEmpty(fallback) ? fallback : result;
      }
      break;
    }
    case 'ALL': {
      const [v4, v6] = await Promise.all([tryResolve(resolver, hostname, 4), tryResolve(resolver, hostname, 6)]);
      const both = [...(nonEmpty(v4) ? v4 : []), ...(nonEmpty(v6) ? v6 : [])];
      result = both.length > 0 ? both : v4;
      break;
    }
  }
  if (nonEmpty(result)) return result;
  throw new DnsResolutionError(hostname, result instanceof Error ? { cause: result } : undefined);
}
