import { ConfigError } from '@weft/api/lite';
import type { HeaderMap } from '../interfaces/header-map.js';
import type { StreamInfo } from '../interfaces/stream-info.js';

/** What header value command operators (`%REQ(x)%`, `%DOWNSTREAM_REMOTE_ADDRESS%`, …) read. */
export interface HeaderFormatContext {
  readonly streamInfo: StreamInfo;
  readonly requestHeaders: HeaderMap;
  /** Local host name for `%HOSTNAME%`. */
  readonly hostname: string;
  /** Response headers, for `%RESP(x)%` in response mutations. */
  readonly responseHeaders?: HeaderMap;
  /** Request pseudo-header values for `%REQ(:path)%` & co. (the header map holds no pseudo-headers). */
  readonly request?: { readonly method: string; readonly path: string; readonly scheme: string; readonly authority: string };
}

const OP_LITERAL = 0;
const OP_REMOTE = 1;
const OP_REMOTE_NO_PORT = 2;
const OP_LOCAL = 3;
const OP_LOCAL_NO_PORT = 4;
const OP_UPSTREAM = 5;
const OP_UPSTREAM_NO_PORT = 6;
const OP_REQ = 7;
const OP_RESP = 8;
const OP_PROTOCOL = 9;
const OP_START_TIME = 10;
const OP_HOSTNAME = 11;
const OP_UPSTREAM_CLUSTER = 12;
const OP_SNI = 13;
const OP_ROUTE_NAME = 14;

const SIMPLE_OPS: Readonly<Record<string, number>> = {
  DOWNSTREAM_REMOTE_ADDRESS: OP_REMOTE,
  DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT: OP_REMOTE_NO_PORT,
  DOWNSTREAM_LOCAL_ADDRESS: OP_LOCAL,
  DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT: OP_LOCAL_NO_PORT,
  UPSTREAM_REMOTE_ADDRESS: OP_UPSTREAM,
  UPSTREAM_REMOTE_ADDRESS_WITHOUT_PORT: OP_UPSTREAM_NO_PORT,
  PROTOCOL: OP_PROTOCOL,
  HOSTNAME: OP_HOSTNAME,
  UPSTREAM_CLUSTER: OP_UPSTREAM_CLUSTER,
  REQUESTED_SERVER_NAME: OP_SNI,
  ROUTE_NAME: OP_ROUTE_NAME,
};

class Part {
  constructor(
    readonly op: number,
    readonly text: string,
    readonly alt: string,
    readonly maxLength: number,
    readonly time: TimeFormat | undefined,
  ) {}
}

/** A header value parsed once at config time into literal and command parts. */
export class HeaderFormatter {
  /** The value when it has no command operators. */
  readonly literal: string | undefined;

  constructor(private readonly parts: readonly Part[]) {
    this.literal = parts.every((p) => p.op === OP_LITERAL) ? parts.map((p) => p.text).join('') : undefined;
  }

  format(ctx: HeaderFormatContext): string {
    if (this.literal !== undefined) return this.literal;
    let out = '';
    for (const p of this.parts) out += evaluate(p, ctx);
    return out;
  }
}

function joinHostPort(ip: string, port: number): string {
  if (ip === '') return '';
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function withoutPort(address: string): string {
  if (address.startsWith('[')) {
    const end = address.indexOf(']');
    return end === -1 ? address : address.slice(1, end);
  }
  const colon = address.lastIndexOf(':');
  return colon === -1 || address.indexOf(':') !== colon ? address : address.slice(0, colon);
}

function headerValue(ctx: HeaderFormatContext, map: HeaderMap | undefined, name: string): string | undefined {
  if (name.charCodeAt(0) === 58 /* : */) {
    const r = ctx.request;
    if (map !== ctx.requestHeaders || r === undefined) return undefined;
    switch (name) {
      case ':path':
        return r.path;
      case ':method':
        return r.method;
      case ':scheme':
        return r.scheme;
      case ':authority':
        return r.authority;
      default:
        return undefined;
    }
  }
  return map?.get(name);
}

function evaluate(p: Part, ctx: HeaderFormatContext): string {
  const si = ctx.streamInfo;
  switch (p.op) {
    case OP_LITERAL:
      return p.text;
    case OP_REMOTE:
      return joinHostPort(si.downstreamRemoteAddress, si.downstreamRemotePort);
    case OP_REMOTE_NO_PORT:
      return si.downstreamRemoteAddress;
    case OP_LOCAL:
      return joinHostPort(si.downstreamLocalAddress, si.downstreamLocalPort);
    case OP_LOCAL_NO_PORT:
      return si.downstreamLocalAddress;
    case OP_UPSTREAM:
      return si.upstreamHost;
    case OP_UPSTREAM_NO_PORT:
      return withoutPort(si.upstreamHost);
    case OP_REQ:
    case OP_RESP: {
      const map = p.op === OP_REQ ? ctx.requestHeaders : ctx.responseHeaders;
      let v = headerValue(ctx, map, p.text);
      if (v === undefined && p.alt !== '') v = headerValue(ctx, map, p.alt);
      if (v === undefined) return '';
      return p.maxLength >= 0 && v.length > p.maxLength ? v.slice(0, p.maxLength) : v;
    }
    case OP_PROTOCOL:
      return si.protocol ?? '';
    case OP_START_TIME:
      return (p.time as TimeFormat).format(si.startTimeMs);
    case OP_HOSTNAME:
      return ctx.hostname;
    case OP_UPSTREAM_CLUSTER:
      return si.upstreamCluster;
    case OP_SNI:
      return si.requestedServerName;
    default:
      return si.routeName;
  }
}

const COMMAND = /^%([A-Z0-9_]+)(?:\(([^)]*)\))?(?::([0-9]+))?%/;

/**
 * Parses an Envoy header value format. `%%` is a literal '%'; any other '%' must start a known command, otherwise
 * the config is rejected (as Envoy's substitution formatter does). Unknown commands are ConfigErrors at `path`.
 */
export function compileHeaderFormat(format: string, path: string): HeaderFormatter {
  const parts: Part[] = [];
  let lit = '';
  let i = 0;
  while (i < format.length) {
    const c = format[i] as string;
    if (c !== '%') {
      lit += c;
      i++;
      continue;
    }
    if (format[i + 1] === '%') {
      lit += '%';
      i += 2;
      continue;
    }
    const m = COMMAND.exec(format.slice(i));
    if (!m) throw new ConfigError(path, `invalid format '${format}': no valid command operator at position ${i}`);
    const [whole, name, arg, len] = m as unknown as [string, string, string | undefined, string | undefined];
    if (lit) parts.push(new Part(OP_LITERAL, lit, '', -1, undefined));
    lit = '';
    parts.push(compileCommand(name, arg, len, path));
    i += whole.length;
  }
  if (lit || parts.length === 0) parts.push(new Part(OP_LITERAL, lit, '', -1, undefined));
  return new HeaderFormatter(parts);
}

function compileCommand(name: string, arg: string | undefined, len: string | undefined, path: string): Part {
  if (name === 'REQ' || name === 'RESP') {
    if (!arg) throw new ConfigError(path, `%${name}(...)% needs a header name`);
    const [main, alt, extra] = arg.split('?') as [string, string | undefined, string | undefined];
    if (extra !== undefined || main === '' || alt === '') throw new ConfigError(path, `invalid %${name}(${arg})%: expected NAME or NAME?ALTERNATIVE`);
    return new Part(name === 'REQ' ? OP_REQ : OP_RESP, main.toLowerCase(), (alt ?? '').toLowerCase(), len ? Number(len) : -1, undefined);
  }
  if (len !== undefined) throw new ConfigError(path, `%${name}% does not take a length`);
  if (name === 'START_TIME') return new Part(OP_START_TIME, '', '', -1, compileTimeFormat(arg ?? DEFAULT_TIME_FORMAT, path));
  const op = SIMPLE_OPS[name];
  if (op === undefined) throw new ConfigError(path, `unsupported command operator %${name}%`);
  if (arg !== undefined) throw new ConfigError(path, `%${name}% does not take arguments`);
  return new Part(op, '', '', -1, undefined);
}

// Envoy's default START_TIME format: ISO 8601 with milliseconds, UTC.
const DEFAULT_TIME_FORMAT = '%Y-%m-%dT%H:%M:%E3SZ';
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A strftime subset (UTC): %Y %y %m %d %e %H %M %S %s %j %a %b %z %Z %F %T %E<n>S %<n>f %f %%. */
class TimeFormat {
  constructor(private readonly tokens: ReadonlyArray<string | number>) {}

  format(ms: number): string {
    const d = new Date(ms);
    let out = '';
    for (const t of this.tokens) out += typeof t === 'string' ? t : field(t, d, ms);
    return out;
  }
}

const T = { Y: 1, y: 2, m: 3, d: 4, e: 5, H: 6, M: 7, S: 8, s: 9, j: 10, a: 11, b: 12, z: 13, Z: 14 } as const;
// Fractional seconds: 100 + n digits (%<n>f), 200 + n digits (%E<n>S: seconds then fraction).

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function fraction(ms: number, digits: number): string {
  const nanos = (((ms % 1000) + 1000) % 1000) * 1e6;
  return pad(nanos, 9).slice(0, digits);
}

function field(t: number, d: Date, ms: number): string {
  if (t >= 200) return `${pad(d.getUTCSeconds(), 2)}${t > 200 ? `.${fraction(ms, t - 200)}` : ''}`;
  if (t >= 100) return fraction(ms, t - 100);
  switch (t) {
    case T.Y:
      return String(d.getUTCFullYear());
    case T.y:
      return pad(d.getUTCFullYear() % 100, 2);
    case T.m:
      return pad(d.getUTCMonth() + 1, 2);
    case T.d:
      return pad(d.getUTCDate(), 2);
    case T.e:
      return String(d.getUTCDate()).padStart(2, ' ');
    case T.H:
      return pad(d.getUTCHours(), 2);
    case T.M:
      return pad(d.getUTCMinutes(), 2);
    case T.S:
      return pad(d.getUTCSeconds(), 2);
    case T.s:
      return String(Math.floor(ms / 1000));
    case T.j:
      return pad(Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1, 3);
    case T.a:
      return DAYS[d.getUTCDay()] as string;
    case T.b:
      return MONTHS[d.getUTCMonth()] as string;
    case T.z:
      return '+0000';
    default:
      return 'UTC';
  }
}

function compileTimeFormat(fmt: string, path: string): TimeFormat {
  const tokens: Array<string | number> = [];
  let lit = '';
  const flush = (): void => {
    if (lit) tokens.push(lit);
    lit = '';
  };
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i] as string;
    if (c !== '%') {
      lit += c;
      continue;
    }
    const rest = fmt.slice(i + 1);
    let m: RegExpExecArray | null;
    if ((m = /^E([1-9]?)S/.exec(rest))) {
      flush();
      tokens.push(200 + (m[1] ? Number(m[1]) : 0));
      i += m[0].length;
    } else if ((m = /^([1-9]?)f/.exec(rest))) {
      flush();
      tokens.push(100 + (m[1] ? Number(m[1]) : 9));
      i += m[0].length;
    } else {
      const s = rest[0];
      i++;
      if (s === '%') lit += '%';
      else if (s === 'F' || s === 'T') {
        flush();
        tokens.push(...(s === 'F' ? [T.Y, '-', T.m, '-', T.d] : [T.H, ':', T.M, ':', T.S]));
      } else if (s !== undefined && Object.hasOwn(T, s)) {
        flush();
        tokens.push(T[s as keyof typeof T]);
      } else throw new ConfigError(path, `unsupported START_TIME format specifier %${s ?? ''}`);
    }
  }
  flush();
  return new TimeFormat(tokens);
}
