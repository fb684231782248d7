/**
 * Deterministic mutation fuzzing of the parser: valid messages are mutated with a seeded PRNG; for each mutant the
 * parser must never throw out of execute(), must end in exactly one state (complete, error, needs more), and must
 * produce the same callbacks and outcome whether the bytes come whole, split at random points, one byte at a time,
 * or with a pause/resume in every callback.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Http1Parser } from './parser.js';
import { Recorder, pieces } from './test-helpers.js';
import type { ParserKind } from './types.js';

/** mulberry32: tiny, fast, good enough for choosing mutations. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REQUEST_SEEDS = [
  'GET /index.html?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: fuzz\r\nAccept: */*\r\n\r\n',
  'POST /submit HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world',
  'POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n',
  'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
  'PUT /u HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok',
  'GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x00',
  '\r\nOPTIONS * HTTP/1.1\r\nHost: a\r\nX-Long: ' + 'v'.repeat(120) + '\r\n\r\n',
];

const RESPONSE_SEEDS = [
  'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello',
  'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\ngrpc-status: 0\r\n\r\n',
  'HTTP/1.1 204 No Content\r\nServer: x\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\n',
  'HTTP/1.0 200 OK\r\nServer: x\r\n\r\nread until close',
];

const SPECIAL = [0x0d, 0x0a, 0x20, 0x09, 0x3a, 0x00, 0x7f, 0xff, 0x30, 0x61, 0x2c, 0x3b, 0x22, 0x41, 0x2d];
const INSERTS = ['Content-Length: 3\r\n', 'Transfer-Encoding: chunked\r\n', 'Host: b\r\n', ' folded\r\n', '\r\n', '0\r\n\r\n', 'Connection: close\r\n'];

function mutate(seed: string, rnd: () => number): Buffer {
  let bytes = [...Buffer.from(seed, 'latin1')];
  const ops = 1 + Math.floor(rnd() * 3);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)] as T;
  for (let n = 0; n < ops; n++) {
    const at = Math.floor(rnd() * (bytes.length + 1));
    switch (Math.floor(rnd() * 8)) {
      case 0:
        bytes[at] = Math.floor(rnd() * 256);
        break;
      case 1:
        bytes[at] = pick(SPECIAL);
        break;
      case 2:
        bytes.splice(at, 1);
        break;
      case 3:
        bytes.splice(at, 0, pick(SPECIAL));
        break;
      case 4: {
        const len = Math.floor(rnd() * 20);
        bytes.splice(at, 0, ...bytes.slice(at, at + len));
        break;
      }
      case 5:
        bytes = bytes.slice(0, at);
        break;
      case 6: {
        // Insert a field line right after some LF.
        const lf = bytes.indexOf(0x0a, at);
        if (lf !== -1) bytes.splice(lf + 1, 0, ...Buffer.from(pick(INSERTS), 'latin1'));
        break;
      }
      default: {
        // CRLF -> LF somewhere.
        const cr = bytes.indexOf(0x0d, at);
        if (cr !== -1 && bytes[cr + 1] === 0x0a) bytes.splice(cr, 1);
      }
    }
  }
  return Buffer.from(bytes.map((b) => b ?? 0));
}

interface Outcome {
  events: string[];
  body: string;
  state: 'complete' | 'error' | 'needs-more';
}

function run(kind: ParserKind, chunks: Buffer[], pauseEverywhere: boolean): Outcome {
  const rec = new Recorder();
  const parser = new Http1Parser(kind, rec);
  let pausedCount = 0;
  if (pauseEverywhere) {
    rec.hook = () => {
      parser.pause();
      pausedCount++;
    };
  }
  for (const c of chunks) {
    parser.execute(c);
    // Resume until no callback pauses again; each resume must make progress (a callback) or leave nothing to do.
    for (let guard = 0; parser.paused; guard++) {
      assert.ok(guard < 10_000, 'resume loop does not terminate');
      const before = pausedCount;
      parser.resume();
      if (pausedCount === before) assert.equal(parser.paused, false);
    }
  }
  let state: Outcome['state'];
  if (rec.error !== undefined) {
    state = 'error';
    assert.equal(parser.dead, true);
  } else if (parser.idle || parser.upgraded) {
    state = 'complete';
  } else {
    state = 'needs-more';
  }
  return { events: rec.normalized(), body: rec.body(), state };
}

function check(kind: ParserKind, input: Buffer, rnd: () => number, withBytes: boolean): Outcome {
  let whole: Outcome | undefined;
  assert.doesNotThrow(() => {
    whole = run(kind, [input], false);
  }, `execute threw on ${JSON.stringify(input.toString('latin1'))}`);
  const splits = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => 1 + Math.floor(rnd() * (input.length - 1)));
  const variants: Array<[string, Buffer[], boolean]> = [
    [`split at ${splits.join(',')}`, pieces(input, splits), false],
    ['paused in every callback', [input], true],
  ];
  if (withBytes) variants.push(['byte by byte', pieces(input, 'bytes'), false]);
  for (const [how, chunks, pause] of variants) {
    const other = run(kind, chunks, pause);
    assert.deepEqual(other, whole, `${how} differs for ${JSON.stringify(input.toString('latin1'))}`);
  }
  return whole!;
}

describe('Http1Parser fuzzing', () => {
  it('handles 3000 mutated requests consistently whatever the input split', () => {
    const rnd = prng(0x5eed);
    const states = { complete: 0, error: 0, 'needs-more': 0 };
    for (let i = 0; i < 3000; i++) {
      const input = mutate(REQUEST_SEEDS[i % REQUEST_SEEDS.length] as string, rnd);
      states[check('request', input, rnd, i % 4 === 0).state]++;
    }
    // The mutations must exercise every outcome, or this test proves little.
    assert.ok(states.complete > 100 && states.error > 100 && states['needs-more'] > 100, JSON.stringify(states));
  });

  it('handles 1000 mutated responses consistently whatever the input split', () => {
    const rnd = prng(0xbeef);
    const states = { complete: 0, error: 0, 'needs-more': 0 };
    for (let i = 0; i < 1000; i++) {
      const input = mutate(RESPONSE_SEEDS[i % RESPONSE_SEEDS.length] as string, rnd);
      states[check('response', input, rnd, i % 4 === 0).state]++;
    }
    assert.ok(states.complete > 20 && states.error > 20 && states['needs-more'] > 20, JSON.stringify(states));
  });

  it('parses every unmutated seed to completion', () => {
    for (const seed of REQUEST_SEEDS) assert.equal(run('request', [Buffer.from(seed, 'latin1')], false).state, 'complete', seed);
    for (const seed of RESPONSE_SEEDS.slice(0, 3)) assert.equal(run('response', [Buffer.from(seed, 'latin1')], false).state, 'complete', seed);
  });
});
