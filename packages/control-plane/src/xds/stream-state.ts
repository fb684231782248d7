import type { TypeUrl } from './type-urls.js';

/** The last rejection of a type by a proxy, kept for /debug/syncz. */
export interface NackRecord {
  /** The version the proxy rejected (the one we sent with that nonce). */
  readonly version: string;
  readonly nonce: string;
  readonly code: number;
  readonly message: string;
  readonly at: string;
}

/** Subscription and delivery state of one type on one ADS stream. */
export class TypeState {
  /** Receives every resource of the type (explicit `*` or the legacy empty first request). */
  wildcard = false;
  readonly names = new Set<string>();
  /** Name -> version the client holds from us (Delta: also its `initial_resource_versions`; '' = told absent). */
  readonly sent = new Map<string, string>();
  /** Nonce of the latest response (SotW: only requests carrying it count). */
  nonce = '';
  sentVersion = '';
  ackedVersion = '';
  /** Delta: responses awaiting an ACK/NACK, by nonce -> system version. */
  readonly pending = new Map<string, string>();
  responses = 0;
  acks = 0;
  nacks = 0;
  lastNack: NackRecord | undefined;

  constructor(readonly typeUrl: TypeUrl) {}

  subscribes(name: string): boolean {
    return this.wildcard || this.names.has(name);
  }

  recordNack(version: string, nonce: string, code: number, message: string): void {
    this.nacks++;
    this.lastNack = { version, nonce, code, message, at: new Date().toISOString() };
  }
}
