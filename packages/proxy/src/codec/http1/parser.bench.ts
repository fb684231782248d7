/**
 * Micro-benchmark (not a test): parses a typical 300-byte request N times and prints ns/request.
 *   node packages/proxy/dist/codec/http1/parser.bench.js [iterations]
 */
import type { HeaderMap } from '../../interfaces/header-map.js';
import { Http1Parser, type Http1ParseError, type Http1ParserHandler, type RequestHead } from './parser.js';

const REQUEST = Buffer.from(
  'GET /api/v1/users/12345/orders?limit=20 HTTP/1.1\r\n' +
    'Host: orders.example.internal:8080\r\n' +
    'User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n' +
    'Accept: application/json, */*\r\n' +
    'Accept-Encoding: gzip, deflate\r\n' +
    'X-Request-Id: 9f1c2a7e-4b1d-4c3a-9e57-0b8f6d2a1c34\r\n' +
    'Cookie: session=4b1d4c3a9e57\r\n' +
    'Connection: keep-alive\r\n' +
    '\r\n',
  'latin1',
);

class CountingHandler implements Http1ParserHandler {
  heads = 0;
  completes = 0;
  headerCount = 0;
  onRequestHead(head: RequestHead): void {
    this.heads++;
    this.headerCount += head.headers.size;
  }
  onBody(_chunk: Buffer): void {}
  onTrailers(_trailers: HeaderMap): void {}
  onMessageComplete(): void {
    this.completes++;
  }
  onError(err: Http1ParseError): void {
    throw err;
  }
}

function measure(iterations: number): number {
  const handler = new CountingHandler();
  const parser = new Http1Parser('request', handler);
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) parser.execute(REQUEST);
  const elapsed = Number(process.hrtime.bigint() - start);
  if (handler.completes !== iterations) throw new Error(`parsed ${handler.completes} of ${iterations}`);
  return elapsed / iterations;
}

const iterations = Number(process.argv[2] ?? 1_000_000);
measure(100_000); // warm-up: let the JIT settle
const nsPerRequest = measure(iterations);
console.log(`request: ${REQUEST.length} bytes, ${iterations} iterations, ${nsPerRequest.toFixed(0)} ns/request`);
