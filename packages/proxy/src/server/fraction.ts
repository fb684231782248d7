import { ConfigError, joinPath } from '@weft/api/lite';
import type { FractionalPercent__Output } from '@weft/api/envoy/envoy/type/v3/FractionalPercent.js';

const DENOMINATORS: Readonly<Record<string, number>> = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 };

/** A FractionalPercent: `numerator / denominator`. */
export class Fraction {
  constructor(
    readonly numerator: number,
    readonly denominator: number,
  ) {}
  /** Absent: 0% (Envoy's default FractionalPercent). */
  static ZERO = new Fraction(0, 100);
}

export function compileFraction(p: FractionalPercent__Output | null, path: string): Fraction {
  if (!p) return Fraction.ZERO;
  const d = DENOMINATORS[p.denominator];
  if (d === undefined) throw new ConfigError(joinPath(path, 'denominator'), `unknown denominator ${p.denominator}`);
  return new Fraction(p.numerator, d);
}
