/**
 * Test support for the HTTP/1 codec tests (not a test itself): a handler that records every callback, and helpers
 * to feed input whole, byte by byte, or split at given points.
 */
import type { HeaderMap } from '../../interfaces/header-map.js';
import type { Http1ParseError } from './errors.js';
import { Http1Parser } from './parser.js';
import type { Http1ParserHandler, Http1ParserLimits, ParserKind, RequestHead, ResponseHead } from './types.js';

export class Recorder implements Http1ParserHandler {
  readonly requests: RequestHead[] = [];
  readonly responses: ResponseHead[] = [];
  readonly bodies: Buffer[] = [];
  readonly trailers: HeaderMap[] = [];
  /** One compact line per callback, in order, e.g. `head GET /`, `body 5`, `complete`, `error WEFT_ERR_...`. */
  readonly log: string[] = [];
  completes = 0;
  error: Http1ParseError | undefined;
  /** Called after each callback is recorded (e.g. to pause). */
  hook: ((event: string, rec: Recorder) => void) | undefined;

  onRequestHead(head: RequestHead): void {
    this.requests.push(head);
    this.record(`head ${head.method} ${head.target}`);
  }

  onResponseHead(head: ResponseHead): void {
    this.responses.push(head);
    this.record(`head ${head.status}`);
  }

  onBody(chunk: Buffer): void {
    this.bodies.push(chunk);
    this.record(`body ${chunk.length}`);
  }

  onTrailers(trailers: HeaderMap): void {
    this.trailers.push(trailers);
    this.record(`trailers ${trailers.size}`);
  }

  onMessageComplete(): void {
    this.completes++;
    this.record('complete');
  }

  onError(err: Http1ParseError): void {
    this.record(`error ${err.code}`);
    this.error = err;
  }

  /** All body bytes received, as latin1. */
  body(): string {
    return Buffer.concat(this.bodies).toString('latin1');
  }

  /** Callback log with consecutive body events merged (splitting input changes how bodies are sliced). */
  normalized(): string[] {
    const out: string[] = [];
    let pending = 0;
    for (const e of this.log) {
      if (e.startsWith('body ')) {
        pending += Number(e.slice(5));
        continue;
      }
      if (pending !== 0) out.push(`body ${pending}`);
      pending = 0;
      out.push(e);
    }
    if (pending !== 0) out.push(`body ${pending}`);
    return out;
  }

  private record(event: string): void {
    if (this.error !== undefined) throw new Error(`callback ${event} after onError`);
    this.log.push(event);
    this.hook?.(event, this);
  }
}

export interface FeedOptions {
  limits?: Http1ParserLimits;
  /** 'whole' (default), 'bytes' (one byte per execute), or explicit split offsets. */
  split?: 'whole' | 'bytes' | number[];
  /** Call finish() after the input (peer closed). */
  finish?: boolean;
  /** Runs on the parser before feeding (expectNoBody, ...). */
  setup?: (parser: Http1Parser) => void;
  hook?: (event: string, rec: Recorder) => void;
}

export function feed(kind: ParserKind, input: string | Buffer, options: FeedOptions = {}): { rec: Recorder; parser: Http1Parser } {
  const data = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const rec = new Recorder();
  rec.hook = options.hook;
  const parser = new Http1Parser(kind, rec, options.limits);
  options.setup?.(parser);
  for (const piece of pieces(data, options.split ?? 'whole')) parser.execute(piece);
  if (options.finish === true) parser.finish();
  return { rec, parser };
}

export function pieces(data: Buffer, split: 'whole' | 'bytes' | number[]): Buffer[] {
  if (split === 'whole') return [data];
  if (split === 'bytes') {
    const out: Buffer[] = [];
    // Fresh one-byte buffers, so nothing can depend on neighbouring bytes of a shared allocation.
    for (let i = 0; i < data.length; i++) out.push(Buffer.from([data[i] as number]));
    return out;
  }
  const out: Buffer[] = [];
  let last = 0;
  for (const at of [...split].sort((a, b) => a - b)) {
    if (at <= last || at >= data.length) continue;
    out.push(Buffer.from(data.subarray(last, at)));
    last = at;
  }
  out.push(Buffer.from(data.subarray(last)));
  return out;
}

/** Shorthand: parse a request whole and return the recorder. */
export function parseRequest(input: string | Buffer, options: FeedOptions = {}): Recorder {
  return feed('request', input, options).rec;
}

export function parseResponse(input: string | Buffer, options: FeedOptions = {}): Recorder {
  return feed('response', input, options).rec;
}
