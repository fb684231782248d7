/**
 * Connection-specific ("hop-by-hop") header removal for a proxy (RFC 9110 §7.6.1), as Envoy does before forwarding.
 */
import type { HeaderMap } from '../../interfaces/header-map.js';

export const HOP_BY_HOP: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te']);

/**
 * Headers a Connection option can never remove: `host` is needed to route and pseudo-headers are not fields.
 * Without this, `Connection: host` would let a client strip what the proxy relies on.
 */
const PROTECTED = new Set(['host']);

export interface RemoveHopByHopOptions {
  /** Keep `upgrade` and send `connection: upgrade` (an upgrade the route allows). */
  keepUpgrade?: boolean;
}

/**
 * Removes connection, keep-alive, proxy-connection, transfer-encoding, upgrade (unless kept), te (reduced to
 * `te: trailers` when the peer offered trailers, which gRPC needs), and every header named by a Connection option.
 */
export function removeHopByHop(headers: HeaderMap, options?: RemoveHopByHopOptions): void {
  const names = headers.names;
  const values = headers.values;
  let nominated: Set<string> | undefined;
  let teTrailers = false;
  let hasTe = false;
  let first = -1;
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    if (!isHopByHop(name)) continue;
    if (first === -1) first = i;
    if (name === 'connection') {
      const v = values[i] as string;
      // Fast path: the usual values nominate nothing beyond the hop-by-hop set.
      if (v === 'keep-alive' || v === 'close' || v === 'Keep-Alive' || v === 'Close' || v === 'upgrade' || v === 'Upgrade') continue;
      for (const option of tokens(v)) {
        if (HOP_BY_HOP.has(option) || PROTECTED.has(option) || option.charCodeAt(0) === 0x3a) continue;
        (nominated ??= new Set()).add(option);
      }
    } else if (name === 'te') {
      hasTe = true;
      if (tokens(values[i] as string).some(isTrailers)) teTrailers = true;
    }
  }
  // Every header a Connection option nominates comes with a hop-by-hop `connection`, so nothing else to do.
  if (first === -1) return;
  const keepUpgrade = options?.keepUpgrade === true && headers.has('upgrade');
  // Nominated names may come before the first hop-by-hop one; otherwise nothing before it moves.
  const start = nominated === undefined ? first : 0;
  let w = start;
  for (let r = start; r < names.length; r++) {
    const name = names[r] as string;
    if (isHopByHop(name) && !(keepUpgrade && name === 'upgrade')) continue;
    if (nominated !== undefined && nominated.has(name)) continue;
    names[w] = name;
    values[w] = values[r] as string;
    w++;
  }
  // pop() rather than `length = w`: shrinking through the length setter is a slow runtime call.
  while (names.length > w) {
    names.pop();
    values.pop();
  }
  if (hasTe && teTrailers) headers.add('te', 'trailers');
  if (keepUpgrade) headers.add('connection', 'upgrade');
}

/** HOP_BY_HOP.has(name) without hashing the name: most names are rejected by their length alone. */
function isHopByHop(name: string): boolean {
  switch (name.length) {
    case 2:
      return name === 'te';
    case 7:
      return name === 'upgrade';
    case 10:
      return name === 'connection' || name === 'keep-alive';
    case 16:
      return name === 'proxy-connection';
    case 17:
      return name === 'transfer-encoding';
    default:
      return false;
  }
}

function isTrailers(token: string): boolean {
  return token === 'trailers';
}

/** Lower-cased list elements of a `#token` field value, parameters (`;q=..`) dropped. */
function tokens(value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(',')) {
    const semi = part.indexOf(';');
    const token = (semi === -1 ? part : part.slice(0, semi)).trim().toLowerCase();
    if (token.length !== 0) out.push(token);
  }
  return out;
}
