/**
 * `%START_TIME(<fmt>)%`: strftime in UTC, compiled once into tokens, plus Envoy's extensions: `%s` (epoch
 * seconds), `%f`/`%1f`…`%9f` (fractional second digits, default 9), `%E3S`/`%E6S`/`%E*S` (seconds with a fraction).
 * Times are known to the millisecond, so digits past the third are zeros.
 */

/** Envoy's default: `%Y-%m-%dT%H:%M:%E3SZ`, e.g. `2016-04-15T20:17:00.310Z`. */
export const DEFAULT_START_TIME_FORMAT = '%Y-%m-%dT%H:%M:%E3SZ';

const enum T {
  Literal,
  Year,
  Year2,
  Month,
  Day,
  DaySpace,
  Hour,
  Hour12,
  AmPm,
  Minute,
  Second,
  MonthShort,
  MonthLong,
  WeekdayShort,
  WeekdayLong,
  DayOfYear,
  Epoch,
  Fraction,
  SecondsFraction,
  ZoneOffset,
  ZoneName,
}

interface Token {
  readonly t: T;
  readonly s: string;
  readonly digits: number;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const SIMPLE: Record<string, T> = {
  Y: T.Year,
  y: T.Year2,
  m: T.Month,
  d: T.Day,
  e: T.DaySpace,
  H: T.Hour,
  I: T.Hour12,
  p: T.AmPm,
  M: T.Minute,
  S: T.Second,
  b: T.MonthShort,
  h: T.MonthShort,
  B: T.MonthLong,
  a: T.WeekdayShort,
  A: T.WeekdayLong,
  j: T.DayOfYear,
  s: T.Epoch,
  z: T.ZoneOffset,
  Z: T.ZoneName,
};

/** Composite specifiers expanded at compile time. */
const COMPOSITE: Record<string, string> = { T: '%H:%M:%S', F: '%Y-%m-%d', D: '%m/%d/%y', R: '%H:%M', r: '%I:%M:%S %p', c: '%a %b %e %H:%M:%S %Y' };

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

export class StartTimeFormatter {
  private readonly tokens: Token[] = [];
  private lastMs = NaN;
  private lastOut = '';

  constructor(readonly pattern: string) {
    this.compile(pattern);
  }

  private push(t: T, s = '', digits = 0): void {
    const prev = this.tokens[this.tokens.length - 1];
    if (t === T.Literal && prev !== undefined && prev.t === T.Literal) {
      this.tokens[this.tokens.length - 1] = { t, s: prev.s + s, digits: 0 };
      return;
    }
    this.tokens.push({ t, s, digits });
  }

  private compile(p: string): void {
    for (let i = 0; i < p.length; i++) {
      const c = p[i] as string;
      if (c !== '%' || i + 1 >= p.length) {
        this.push(T.Literal, c);
        continue;
      }
      const n = p[i + 1] as string;
      const simple = SIMPLE[n];
      if (simple !== undefined) {
        this.push(simple);
        i++;
      } else if (COMPOSITE[n] !== undefined) {
        this.compile(COMPOSITE[n]);
        i++;
      } else if (n === '%') {
        this.push(T.Literal, '%');
        i++;
      } else if (n === 'n' || n === 't') {
        this.push(T.Literal, n === 'n' ? '\n' : '\t');
        i++;
      } else if (n === 'f') {
        this.push(T.Fraction, '', 9);
        i++;
      } else if (n >= '1' && n <= '9' && p[i + 2] === 'f') {
        this.push(T.Fraction, '', Number(n));
        i += 2;
      } else if (n === 'E' && p[i + 3] === 'S' && ((p[i + 2] as string) === '*' || /[0-9]/.test(p[i + 2] as string))) {
        const d = p[i + 2] === '*' ? 9 : Number(p[i + 2]);
        this.push(T.SecondsFraction, '', d);
        i += 3;
      } else {
        // Unknown specifier: printed as written, like strftime implementations that pass it through.
        this.push(T.Literal, `%${n}`);
        i++;
      }
    }
  }

  format(ms: number): string {
    if (ms === this.lastMs) return this.lastOut;
    const d = new Date(ms);
    let out = '';
    for (const tok of this.tokens) {
      switch (tok.t) {
        case T.Literal: out += tok.s; break;
        case T.Year: out += pad(d.getUTCFullYear(), 4); break;
        case T.Year2: out += pad(d.getUTCFullYear() % 100, 2); break;
        case T.Month: out += pad(d.getUTCMonth() + 1, 2); break;
        case T.Day: out += pad(d.getUTCDate(), 2); break;
        case T.DaySpace: out += String(d.getUTCDate()).padStart(2, ' '); break;
        case T.Hour: out += pad(d.getUTCHours(), 2); break;
        case T.Hour12: out += pad(d.getUTCHours() % 12 || 12, 2); break;
        case T.AmPm: out += d.getUTCHours() < 12 ? 'AM' : 'PM'; break;
        case T.Minute: out += pad(d.getUTCMinutes(), 2); break;
        case T.Second: out += pad(d.getUTCSeconds(), 2); break;
        case T.MonthShort: out += (MONTHS[d.getUTCMonth()] as string).slice(0, 3); break;
        case T.MonthLong: out += MONTHS[d.getUTCMonth()] as string; break;
        case T.WeekdayShort: out += (DAYS[d.getUTCDay()] as string).slice(0, 3); break;
        case T.WeekdayLong: out += DAYS[d.getUTCDay()] as string; break;
        case T.DayOfYear: out += pad(dayOfYear(d), 3); break;
        case T.Epoch: out += String(Math.floor(ms / 1000)); break;
        case T.Fraction: out += fraction(ms, tok.digits); break;
        case T.SecondsFraction: out += `${pad(d.getUTCSeconds(), 2)}.${fraction(ms, tok.digits)}`; break;
        case T.ZoneOffset: out += '+0000'; break;
        case T.ZoneName: out += 'UTC'; break;
      }
    }
    this.lastMs = ms;
    this.lastOut = out;
    return out;
  }
}

/** `digits` fractional-second digits of a millisecond time (beyond 3 they are zeros). */
function fraction(ms: number, digits: number): string {
  const milli = pad(((Math.floor(ms) % 1000) + 1000) % 1000, 3);
  return digits <= 3 ? milli.slice(0, digits) : milli.padEnd(digits, '0');
}

function dayOfYear(d: Date): number {
  return Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
}
