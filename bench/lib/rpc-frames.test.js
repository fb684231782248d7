// Run with: node --test bench/lib/rpc-frames.test.js (also part of scripts/run-tests.js via test/src/bench-lib.test.ts)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EchoResponder } from './rpc-echo.js';
import { FrameError, forEachFrame, frameKind, frameLength, heartbeatResponse, readId, responseOk, responseStatus, writeId } from './rpc-frames.js';
import { LatencyHistogram } from './latency-histogram.js';
import { LoadStats, PipelinedConnection } from './rpc-pipeline.js';

/** Bolt v1 frame: type 1 request / 2 oneway / 0 response; cmd 1 request, 2 response, 0 heartbeat. */
function bolt({ type = 1, cmd = type === 0 ? 2 : 1, id, status = 0, cls = 'C', header = 'hh', content = 'body' }) {
  const head = Buffer.alloc(type === 0 ? 20 : 22);
  head[0] = 1;
  head[1] = type;
  head.writeUInt16BE(cmd, 2);
  head.writeUInt32BE(id, 5);
  head[9] = 1;
  let at = 10;
  if (type === 0) head.writeUInt16BE(status, at);
  else head.writeUInt32BE(3000, at);
  at += type === 0 ? 2 : 4;
  head.writeUInt16BE(cls.length, at);
  head.writeUInt16BE(header.length, at + 2);
  head.writeUInt32BE(content.length, at + 4);
  return Buffer.concat([head, Buffer.from(cls + header + content, 'latin1')]);
}

/** Dubbo frame: flags 0xc2 two-way request, 0x82 oneway, 0xe2 heartbeat, 0x02 response. */
function dubbo({ flags = 0xc2, status = 0, id, body = 'abcdef' }) {
  const head = Buffer.alloc(16);
  head.writeUInt16BE(0xdabb, 0);
  head[2] = flags;
  head[3] = status;
  head.writeBigUInt64BE(BigInt(id), 4);
  head.writeUInt32BE(body.length, 12);
  return Buffer.concat([head, Buffer.from(body, 'latin1')]);
}

test('frame lengths come from the fixed headers; a partial header is -1', () => {
  const req = bolt({ id: 7 });
  assert.equal(frameLength(req, 0, 'bolt', false), 22 + 1 + 2 + 4);
  const res = bolt({ type: 0, id: 7, content: 'x'.repeat(300) });
  assert.equal(frameLength(res, 0, 'bolt', true), 20 + 1 + 2 + 300);
  assert.equal(frameLength(req.subarray(0, 21), 0, 'bolt', false), -1);
  assert.equal(frameLength(Buffer.of(1), 0, 'bolt', false), -1);
  const d = dubbo({ id: 1 });
  assert.equal(frameLength(d, 0, 'dubbo'), 22);
  assert.equal(frameLength(d.subarray(0, 15), 0, 'dubbo'), -1);
  // At an offset inside a longer buffer.
  assert.equal(frameLength(Buffer.concat([req, d]), req.length, 'dubbo'), 22);
});

test('a broken stream throws FrameError: bad magic, Bolt v2, wrong direction, absurd length', () => {
  assert.throws(() => frameLength(Buffer.from('GET / HTTP/1.1\r\n\r\n'), 0, 'dubbo'), FrameError);
  assert.throws(() => frameLength(Buffer.from('GET / HTTP/1.1\r\n\r\n'), 0, 'bolt', false), FrameError);
  assert.throws(() => frameLength(Buffer.of(2, 1, 0, 1), 0, 'bolt', false), /not a Bolt v1 frame \(proto byte 02\)/);
  assert.throws(() => frameLength(bolt({ id: 1 }), 0, 'bolt', true), /unexpected Bolt request/);
  const huge = dubbo({ id: 1 });
  huge.writeUInt32BE(0x7fffffff, 12);
  assert.throws(() => frameLength(huge, 0, 'dubbo'), /exceeds/);
});

test('ids are read and patched in place (Dubbo: low 32 bits, high bits zeroed)', () => {
  const b = bolt({ id: 5 });
  assert.equal(readId(b, 0, 'bolt'), 5);
  writeId(b, 0, 'bolt', 0x7ffffffe);
  assert.equal(readId(b, 0, 'bolt'), 0x7ffffffe);
  assert.equal(b.readUInt32BE(5), 0x7ffffffe);
  const d = dubbo({ id: 0x1_0000_0003n });
  assert.equal(readId(d, 0, 'dubbo'), 3);
  writeId(d, 0, 'dubbo', 42);
  assert.equal(d.readBigUInt64BE(4), 42n);
});

test('frame kinds and response status', () => {
  assert.equal(frameKind(bolt({ id: 1 }), 0, 'bolt'), 'request');
  assert.equal(frameKind(bolt({ type: 2, id: 1 }), 0, 'bolt'), 'oneway');
  assert.equal(frameKind(bolt({ cmd: 0, id: 1, cls: '', header: '', content: '' }), 0, 'bolt'), 'heartbeat');
  assert.equal(frameKind(bolt({ type: 0, id: 1 }), 0, 'bolt'), 'response');
  assert.equal(frameKind(dubbo({ id: 1 }), 0, 'dubbo'), 'request');
  assert.equal(frameKind(dubbo({ flags: 0x82, id: 1 }), 0, 'dubbo'), 'oneway');
  assert.equal(frameKind(dubbo({ flags: 0xe2, id: 1 }), 0, 'dubbo'), 'heartbeat');
  assert.equal(frameKind(dubbo({ flags: 0xa2, id: 1 }), 0, 'dubbo'), 'other');
  assert.equal(frameKind(dubbo({ flags: 0x02, status: 20, id: 1 }), 0, 'dubbo'), 'response');
  assert.equal(responseOk(bolt({ type: 0, id: 1 }), 0, 'bolt'), true);
  assert.equal(responseStatus(bolt({ type: 0, id: 1, status: 0x10 }), 0, 'bolt'), 0x10);
  assert.equal(responseOk(bolt({ type: 0, id: 1, status: 0x10 }), 0, 'bolt'), false);
  assert.equal(responseOk(dubbo({ flags: 0x02, status: 20, id: 1 }), 0, 'dubbo'), true);
  assert.equal(responseOk(dubbo({ flags: 0x02, status: 80, id: 1 }), 0, 'dubbo'), false);
  // The heartbeat answers are responses with an OK status.
  for (const p of ['bolt', 'dubbo']) {
    const hb = heartbeatResponse(p);
    assert.equal(frameLength(hb, 0, p, true), hb.length);
    assert.equal(frameKind(hb, 0, p), 'response');
    assert.equal(responseOk(hb, 0, p), true);
  }
});

test('forEachFrame cuts whole frames and returns where the partial one starts', () => {
  const a = bolt({ id: 1 });
  const b = bolt({ id: 2, content: 'longer body' });
  const seen = [];
  const stream = Buffer.concat([a, b, a.subarray(0, 10)]);
  const rest = forEachFrame(stream, 'bolt', false, (buf, off, len) => seen.push([readId(buf, off, 'bolt'), len]));
  assert.deepEqual(seen, [[1, a.length], [2, b.length]]);
  assert.equal(rest, a.length + b.length);
});

for (const protocol of ['bolt', 'dubbo']) {
  const request = protocol === 'bolt' ? bolt({ id: 0, content: 'request body' }) : dubbo({ id: 0, body: 'request body' });
  const response = protocol === 'bolt' ? bolt({ type: 0, id: 0, content: 'the answer' }) : dubbo({ flags: 0x02, status: 20, id: 0, body: 'the answer' });

  test(`${protocol}: the echo responder answers each two-way request with the template and its id, one write per chunk`, () => {
    const writes = [];
    const echo = new EchoResponder(protocol, response, (buf) => writes.push(buf), (err) => assert.fail(err));
    const req = (id) => {
      const f = Buffer.from(request);
      writeId(f, 0, protocol, id);
      return f;
    };
    const oneway = protocol === 'bolt' ? bolt({ type: 2, id: 9 }) : dubbo({ flags: 0x82, id: 9 });
    const heartbeat = protocol === 'bolt' ? bolt({ cmd: 0, id: 8, cls: '', header: '', content: '' }) : dubbo({ flags: 0xe2, id: 8, body: 'N' });
    const stream = Buffer.concat([req(1), oneway, req(2), heartbeat, req(3)]);
    // Split inside the third request: the first chunk answers two requests (oneway: nothing) in one write.
    const cut = stream.length - 5;
    echo.onData(stream.subarray(0, cut));
    echo.onData(stream.subarray(cut));
    assert.equal(writes.length, 2);
    const ids = [];
    for (const w of writes) {
      forEachFrame(w, protocol, true, (buf, off, len) => {
        ids.push(readId(buf, off, protocol));
        assert.equal(responseOk(buf, off, protocol), true);
        if (readId(buf, off, protocol) !== 8) assert.deepEqual(buf.subarray(off + 16, off + len), response.subarray(16));
      });
    }
    assert.deepEqual(ids, [1, 2, 8, 3]);
    assert.equal(echo.requests, 3);
  });

  test(`${protocol}: a pipelined connection keeps depth requests in flight and counts only the measured responses`, () => {
    let clock = 100;
    const toServer = [];
    const stats = new LoadStats(new LatencyHistogram());
    const conn = new PipelinedConnection({ protocol, request, depth: 3, stats, write: (b) => toServer.push(b), now: () => clock });
    const echo = new EchoResponder(protocol, response, (b) => {
      clock += 0.5;
      conn.onData(b);
    }, (err) => assert.fail(err));
    conn.start();
    assert.equal(toServer.length, 1);
    assert.equal(conn.outstanding(clock).n, 3);
    echo.onData(toServer.shift()); // warm-up round: answered, not counted
    assert.equal(stats.warmupResponses, 3);
    stats.measuring = true;
    for (let i = 0; i < 4; i++) echo.onData(toServer.shift());
    stats.measuring = false;
    assert.equal(stats.ok, 12);
    assert.equal(stats.errors, 0);
    assert.equal(stats.histogram.summary().p99Ms, 0.5);
    // Ids stay distinct per slot and generation.
    const ids = [];
    forEachFrame(toServer[0], protocol, false, (buf, off) => ids.push(readId(buf, off, protocol)));
    assert.deepEqual(ids, [15, 16, 17]);
    conn.stop();
    echo.onData(toServer.shift());
    assert.equal(toServer.length, 0, 'no refill after stop');
    assert.equal(conn.outstanding(clock).n, 0);
  });

  test(`${protocol}: error statuses, unknown ids and a broken stream are counted`, () => {
    const stats = new LoadStats(new LatencyHistogram());
    const conn = new PipelinedConnection({ protocol, request, depth: 2, stats, write: () => {}, now: () => 0 });
    conn.start();
    stats.measuring = true;
    const bad = protocol === 'bolt' ? bolt({ type: 0, id: 0, status: 0x10 }) : dubbo({ flags: 0x02, status: 80, id: 0 });
    const unknown = protocol === 'bolt' ? bolt({ type: 0, id: 77 }) : dubbo({ flags: 0x02, status: 20, id: 77 });
    assert.equal(conn.onData(Buffer.concat([bad, unknown])), true);
    assert.deepEqual(stats.errorsBy, { [`status ${protocol === 'bolt' ? 16 : 80}`]: 1, 'unknown id': 1 });
    assert.equal(conn.onData(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')), false);
    assert.equal(stats.errorsBy['broken stream'], 1);
    assert.equal(stats.ok, 0);
  });
}
