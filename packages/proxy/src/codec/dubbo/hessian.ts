import { createRequire } from 'node:module';

/** The parts of hessian.js (which ships no types) that Weft uses: full Hessian 2 decoding and encoding. */
export interface HessianDecoderV2 {
  /** Reads the next value; `withType` keeps Java class names (`{ $class, $ }`). */
  read(withType?: boolean): unknown;
  readInt(): number;
  readString(): string;
  position(): number;
  position(offset: number): HessianDecoderV2;
}

export interface HessianEncoderV2 {
  /** Writes a JS value, or a `{ $class, $ }` Java-typed value (see js-to-java). */
  write(value: unknown): HessianEncoderV2;
  writeInt(value: number): HessianEncoderV2;
  writeString(value: string): HessianEncoderV2;
  writeNull(): HessianEncoderV2;
  get(): Buffer;
  reset(): void;
}

interface HessianModule {
  DecoderV2: new (buf: Buffer) => HessianDecoderV2;
  EncoderV2: new (options?: { size?: number }) => HessianEncoderV2;
}

const hessian = createRequire(import.meta.url)('hessian.js') as HessianModule;

export function hessianDecoder(buf: Buffer): HessianDecoderV2 {
  return new hessian.DecoderV2(buf);
}

export function hessianEncoder(): HessianEncoderV2 {
  return new hessian.EncoderV2();
}
