import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RpcProtocolError, type RpcFrame } from '../../interfaces/rpc-codec.js';
import { boltCodec, type BoltConnectionCodec } from './bolt-codec.js';
import type { BoltFrame } from './bolt-frame.js';
import {
  SERVICE, peerDecode, peerHeartbeat, peerHeartbeatAck, peerRequest, peerRequestFinalHessian, peerResponse,
  echoProto, sofaErrorResponse, type PeerOptions,
} from './test-peer.js';

const V1: PeerOptions = {};
const V2: PeerOptions = { protocolType: 'bolt2', boltVersion: 1 };
const V2_CRC: PeerOptions = { protocolType: 'bolt2', boltVersion: 2, crcEnable: true };
const DIALECTS: [string, PeerOptions][] = [['v1', V1], ['v2', V2], ['v2+crc', V2_CRC]];

function codec(maxFrameBytes = 1 << 20): BoltConnectionCodec {
  return boltCodec.createConnectionCodec({ maxFrameBytes }) as BoltConnectionCodec;
}

function decodeAll(bytes: Buffer, c = codec()): BoltFrame[] {
  const out: RpcFrame[] = [];
  c.decode(bytes, out);
  return out as BoltFrame[];
}

function one(bytes: Buffer, c = codec()): BoltFrame {
  const frames = decodeAll(bytes, c);
  assert.equal(frames.length, 1);
  return frames[0] as BoltFrame;
}

function prefixes(bytes: Buffer): string[] {
  const r: string[] = [];
  for (let i = 0; i <= bytes.length; i++) r.push(boltCodec.match(bytes.subarray(0, i)));
  return r;
}

describe('bolt match', () => {
  it('needs five bytes of a v1 request and six of a v2 one, then says yes', () => {
    assert.deepEqual(prefixes(peerRequest(1).subarray(0, 6)), ['need-more', 'need-more', 'need-more', 'need-more', 'need-more', 'yes', 'yes']);
    assert.deepEqual(prefixes(peerRequest(1, V2_CRC).subarray(0, 7)), [
      'need-more', 'need-more', 'need-more', 'need-more', 'need-more', 'need-more', 'yes', 'yes',
    ]);
    assert.equal(boltCodec.match(peerRequest(1, V1, { oneway: true })), 'yes');
    assert.equal(boltCodec.match(peerHeartbeat(1)), 'yes');
    assert.equal(boltCodec.match(peerHeartbeat(1, V2)), 'yes');
  });

  it('says no to other protocols and to frames a client never sends first', () => {
    const others = [
      'GET / HTTP/1.1\r\n', 'PRI * HTTP/2.0\r\n', '\x16\x03\x01\x02\x00',
      '\xda\xbb\xc2\x00\x00\x00', // Dubbo
      '\x00\x00\x00\x1c\x80\x01\x00\x01', // Thrift framed binary
      '\x80\x01\x00\x01\x00\x00', '\x82\x21\x00\x04', // Thrift unframed binary / compact
      '\x01\x00\x00\x02\x01', // a v1 response
      '\x01\x02\x00\x00\x01', // a oneway heartbeat
      '\x01\x01\x00\x01\x02', // ver2 = 2
      '\x01\x01\x01\x01\x01', '\x02\x03\x01\x00\x01\x01', '\x03',
    ];
    for (const s of others) assert.equal(boltCodec.match(Buffer.from(s, 'latin1')), 'no', JSON.stringify(s));
    assert.equal(boltCodec.match(Buffer.alloc(0)), 'need-more');
  });
});

describe('bolt decode', () => {
  for (const [name, o] of DIALECTS) {
    it(`reads every field of a ${name} sofa-bolt-node request`, () => {
      const f = one(peerRequest(0x7fff_fff0, o, { serverSignature: 'com.example.EchoService:2.1:blue', timeout: 1500, args: ['hi', 3, { a: [1, 2] }] }));
      assert.equal(f.kind, 'request');
      assert.equal(f.oneway, false);
      assert.equal(f.heartbeat, false);
      assert.equal(f.goAway, false);
      assert.equal(f.requestId, 0x7fff_fff0);
      assert.equal(f.service, 'com.example.EchoService');
      assert.equal(f.version, '2.1');
      assert.equal(f.group, 'blue');
      assert.equal(f.method, 'echo');
      assert.equal(f.application, '');
      assert.equal(f.requestTimeoutMs, 1500);
      assert.equal(f.className, 'com.alipay.sofa.rpc.core.request.SofaRequest');
      assert.deepEqual([...f.headers], [['service', 'com.example.EchoService:2.1:blue']]);
      assert.deepEqual(f.args(), ['hi', 3, { a: [1, 2] }]);
      assert.equal(f.crc, o.crcEnable === true);
      assert.equal(f.status, 'unknown');
    });
  }

  it('reads the method from a final-dialect Hessian body too', () => {
    const f = one(peerRequestFinalHessian(9, V1, { args: [1.5, 'x'.repeat(1500), null, true] }));
    assert.equal(f.method, 'echo');
    assert.equal(f.service, 'com.example.EchoService');
    assert.deepEqual(f.args(), [1.5, 'x'.repeat(1500), null, true]);
  });

  it('prefers the header map over the body, as Java SOFARPC fills it', () => {
    const c = codec();
    const base = one(peerRequest(3), c);
    const javaLike = c.rewriteRequest(base, {
      requestId: 3,
      setHeaders: new Map([
        ['sofa_head_method_name', 'sayHello'], ['sofa_head_target_app', 'provider-app'],
        ['rpc_trace_context.sofaCallerApp', 'caller-app'], ['service', 'com.example.Other:1.0'],
      ]),
    });
    const f = one(javaLike);
    assert.equal(f.method, 'sayHello');
    assert.equal(f.service, 'com.example.Other');
    assert.equal(f.version, '1.0');
    assert.equal(f.group, '');
    assert.equal(f.application, 'caller-app');
  });

  it('reads a protobuf request by its Java-style header map and answers it in kind', () => {
    const proto = echoProto();
    const o: PeerOptions = { codecType: 'protobuf', proto };
    const c = codec();
    const f = one(peerRequest(51, o, {
      args: [{ name: 'ann' }], targetAppName: 'provider-app',
      requestProps: { rpc_trace_context: { sofaCallerApp: 'caller-app', sofaTraceId: 't1' } },
    }), c);
    assert.equal(f.codec, 11);
    assert.deepEqual([f.service, f.version, f.method, f.application], ['com.example.EchoService', '1.0', 'echo', 'caller-app']);
    assert.equal(f.headers.get('sofa_head_target_app'), 'provider-app');
    assert.equal(f.headers.get('rpc_trace_context.sofaTraceId'), 't1');
    assert.throws(() => f.args(), RpcProtocolError);
    const reply = c.encodeLocalReply(f, 'no_route', 'weft: no route');
    assert.ok(reply);
    assert.equal(peerDecode(reply, false, proto).data?.error?.message, 'Error: weft: no route');
    const rewritten = one(c.rewriteRequest(f, { requestId: 52, setHeaders: new Map([['x', 'y']]) }));
    assert.deepEqual([rewritten.requestId, rewritten.method, rewritten.headers.get('x')], [52, 'echo', 'y']);
    assert.equal(peerDecode(rewritten.bytes, false, proto).data?.methodName, 'echo');
  });

  it('reads oneway requests, heartbeats and heartbeat acks', () => {
    const ow = one(peerRequest(11, V1, { oneway: true }));
    assert.equal(ow.oneway, true);
    assert.equal(ow.kind, 'request');
    for (const [, o] of DIALECTS) {
      const hb = one(peerHeartbeat(12, o));
      assert.deepEqual([hb.kind, hb.heartbeat, hb.requestId, hb.requestTimeoutMs, hb.service, hb.method], ['request', true, 12, 3000, '', '']);
      assert.deepEqual(hb.args(), []);
      const ack = one(peerHeartbeatAck(12, o));
      assert.deepEqual([ack.kind, ack.heartbeat, ack.requestId, ack.status], ['response', true, 12, 'ok']);
    }
  });

  it('maps response statuses', () => {
    for (const [, o] of DIALECTS) {
      const ok = one(peerResponse(21, o));
      assert.deepEqual([ok.kind, ok.requestId, ok.status, ok.boltStatus], ['response', 21, 'ok', 0]);
      const err = one(peerResponse(22, o, { isError: true, errorMsg: 'boom', appResponse: null }));
      assert.deepEqual([err.status, err.boltStatus], ['server_error', 2]);
      const business = one(peerResponse(23, o, { appResponse: new Error('business') }));
      assert.deepEqual([business.status, business.boltStatus], ['ok', 0]);
    }
  });

  it('reads a SUCCESS response whose SofaResponse says isError as a server error, in both Hessian dialects', () => {
    for (const final of [false, true]) {
      const f = one(sofaErrorResponse(24, 'Cannot find invoker of service', final));
      assert.deepEqual([f.kind, f.boltStatus, f.status], ['response', 0, 'server_error']);
      assert.equal(peerDecode(f.bytes, final).data?.error?.message, 'Cannot find invoker of service');
    }
  });

  it('cuts frames at every split point, one byte at a time, and many in one chunk', () => {
    const frames = [peerRequest(1), peerRequest(2, V2_CRC), peerHeartbeat(3), peerResponse(4, V2), peerRequest(5, V2, { oneway: true }), peerHeartbeatAck(6, V2_CRC)];
    const all = Buffer.concat(frames);
    const ids = [1, 2, 3, 4, 5, 6];
    for (let i = 0; i <= all.length; i++) {
      const c = codec();
      const out: RpcFrame[] = [];
      c.decode(all.subarray(0, i), out);
      c.decode(all.subarray(i), out);
      assert.deepEqual(out.map((f) => f.requestId), ids, `split at ${i}`);
      assert.ok(out.every((f, k) => f.bytes.equals(frames[k] as Buffer)));
    }
    const c = codec();
    const out: RpcFrame[] = [];
    for (let i = 0; i < all.length; i++) c.decode(all.subarray(i, i + 1), out);
    assert.deepEqual(out.map((f) => f.requestId), ids);
    assert.equal(out[1]?.method, 'echo');
    const many = Buffer.concat(Array.from({ length: 200 }, (_, k) => peerRequest(k + 1, k % 2 ? V1 : V2_CRC)));
    const got = decodeAll(many);
    assert.equal(got.length, 200);
    assert.deepEqual(got.map((f) => f.requestId), Array.from({ length: 200 }, (_, k) => k + 1));
  });

  it('reads repeated calls from its caches: same strings, and a changed body or header map is read afresh', () => {
    const c = codec();
    const [a, b] = decodeAll(Buffer.concat([peerRequest(1), peerRequest(2)]), c);
    assert.deepEqual([a!.service, a!.version, a!.method, b!.service, b!.method], [SERVICE.split(':')[0], '1.0', 'echo', SERVICE.split(':')[0], 'echo']);
    assert.equal(a!.headers, b!.headers, 'one header map for equal header bytes');
    const other = one(peerRequest(3, V1, { methodName: 'other' }), c);
    assert.equal(other.method, 'other');
    assert.equal(one(peerRequest(4), c).method, 'echo');
    // Same header bytes, but a body of another serialization is not read: neither answer leaks into the other.
    const other2 = Buffer.from(peerRequest(5));
    other2[9] = 11; // v1 codec byte: protobuf
    assert.equal(one(other2, c).method, '');
    assert.equal(one(peerRequest(6), c).method, 'echo');
    const c2 = codec();
    assert.equal(one(peerRequest(7), c2).method, 'echo');
    assert.equal(one(other2, c2).method, '');
    assert.equal(one(sofaErrorResponse(9, 'no such service'), c).status, 'server_error');
    assert.equal(one(peerResponse(10), c).status, 'ok');
    assert.equal(one(sofaErrorResponse(11, 'no such service'), c).status, 'server_error');
  });

  it('frames spanning reads own their joined bytes: reusing the read buffer does not change them', () => {
    const req = peerRequest(77);
    const chunk = Buffer.from(req);
    assert.ok(req.length > 60);
    const c = codec();
    const out: RpcFrame[] = [];
    c.decode(chunk.subarray(0, 30), out);
    chunk.fill(0, 0, 30);
    c.decode(chunk.subarray(30, 60), out);
    chunk.fill(0, 30, 60);
    c.decode(chunk.subarray(60), out);
    chunk.fill(0);
    assert.equal(out.length, 1);
    assert.ok(out[0]?.bytes.equals(req));
  });

  it('rejects a v2 frame whose CRC does not match, and a bad CRC trailer', () => {
    const good = peerRequest(5, V2_CRC);
    assert.equal(one(good).requestId, 5);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 10] = (flipped[flipped.length - 10] as number) ^ 0x01;
    assert.throws(() => decodeAll(flipped), (e: unknown) => e instanceof RpcProtocolError && /CRC32/.test(e.message));
    const badTrailer = Buffer.from(good);
    badTrailer[badTrailer.length - 1] = (badTrailer[badTrailer.length - 1] as number) ^ 0xff;
    assert.throws(() => decodeAll(badTrailer), RpcProtocolError);
  });

  it('refuses a frame over the size limit as soon as its header says so', () => {
    const req = peerRequest(5);
    assert.equal(one(req, codec(req.length)).requestId, 5);
    const c = codec(req.length - 1);
    assert.throws(() => c.decode(req.subarray(0, 22), []), (e: unknown) => e instanceof RpcProtocolError && /exceeds the limit/.test(e.message));
    const huge = Buffer.from(req.subarray(0, 22));
    huge.writeUInt32BE(0xffff_ffff, 18);
    assert.throws(() => codec().decode(huge, []), RpcProtocolError);
  });

  it('rejects unknown protocol codes, types and command codes', () => {
    for (const hex of ['03', '0103', '0101000301', '0100006400', '01020000', '020301']) {
      const b = Buffer.concat([Buffer.from(hex, 'hex'), Buffer.alloc(30)]);
      assert.throws(() => codec().decode(b, []), RpcProtocolError, hex);
    }
  });
});

describe('bolt rewrite', () => {
  for (const [name, o] of DIALECTS) {
    it(`rewrites the ${name} request id and back, and the real decoder reads both`, () => {
      const c = codec();
      const req = one(peerRequest(1000, o), c);
      const up = c.rewriteRequest(req, { requestId: 7 });
      assert.equal(up.length, req.bytes.length);
      const seen = peerDecode(up);
      assert.deepEqual([seen.packetId, seen.data?.methodName, seen.data?.args], [7, 'echo', ['hello', 42]]);
      assert.equal(one(up).requestId, 7);
      assert.equal(req.bytes.readUInt32BE(req.layout.id), 1000, 'the decoded frame is left as it was');
      const res = one(peerResponse(7, o));
      const down = c.rewriteResponse(res, 1000);
      const back = peerDecode(down);
      assert.deepEqual([back.packetId, back.data?.appResponse], [1000, 'ok']);
    });

    it(`patches the ${name} request id in place when the frame is sent once, CRC included`, () => {
      const c = codec();
      const wire = Buffer.from(peerRequest(1000, o));
      const req = one(wire, c);
      assert.equal(req.bytes.buffer, wire.buffer, 'the frame is a view of the read, not a copy');
      const up = c.rewriteRequest(req, { requestId: 7, inPlace: true });
      assert.equal(up, req.bytes, 'no copy');
      const seen = peerDecode(up);
      assert.deepEqual([seen.packetId, seen.data?.methodName, seen.data?.args], [7, 'echo', ['hello', 42]]);
      assert.equal(req.requestId, 1000, 'the downstream id is kept for the response');
      const resWire = Buffer.from(peerResponse(7, o));
      const down = c.rewriteResponse(one(resWire), 1000);
      assert.equal(down.buffer, resWire.buffer, 'responses are patched in place');
      assert.deepEqual([peerDecode(down).packetId, peerDecode(down).data?.appResponse], [1000, 'ok']);
    });

    it(`re-encodes the ${name} header map and its length, keeping the body`, () => {
      const c = codec();
      const req = one(peerRequest(1, o), c);
      const up = c.rewriteRequest(req, { requestId: 2, setHeaders: new Map([['x-weft-color', 'blue'], ['service', SERVICE]]) });
      const f = one(up);
      assert.equal(f.requestId, 2);
      assert.deepEqual([...f.headers], [['service', SERVICE], ['x-weft-color', 'blue']]);
      assert.deepEqual(f.args(), ['hello', 42]);
      const seen = peerDecode(up);
      assert.deepEqual([seen.packetId, seen.data?.methodName, seen.data?.args], [2, 'echo', ['hello', 42]]);
    });
  }
});

describe('bolt replies the proxy writes', () => {
  const cases: [Parameters<BoltConnectionCodec['encodeLocalReply']>[1], number][] = [
    ['no_route', 0x06], ['no_healthy_upstream', 0x10], ['upstream_unavailable', 0x10], ['timeout', 0x07],
    ['overflow', 0x04], ['rate_limited', 0x04], ['fault_abort', 0x02], ['bad_request', 0x09],
  ];
  for (const [name, o] of DIALECTS) {
    it(`answers a ${name} request with the Bolt status and a message the real client shows`, () => {
      for (const final of [false, true]) {
        const c = codec();
        const req = one(final ? peerRequestFinalHessian(31, o) : peerRequest(31, o), c);
        for (const [status, code] of cases) {
          const reply = c.encodeLocalReply(req, status, `weft: ${status}`);
          assert.ok(reply);
          const mine = one(reply);
          assert.deepEqual([mine.kind, mine.requestId, mine.boltStatus, mine.crc], ['response', 31, code, o.crcEnable === true]);
          const seen = peerDecode(reply, final);
          assert.equal(seen.packetId, 31);
          assert.equal(seen.data?.error?.message, `com.alipay.remoting.rpc.exception.RpcServerException: weft: ${status}`);
        }
      }
    });
  }

  it('has no local reply for a oneway request', () => {
    const c = codec();
    assert.equal(c.encodeLocalReply(one(peerRequest(1, V1, { oneway: true }), c), 'no_route', 'x'), undefined);
  });

  it('acks heartbeats in the caller dialect and sends heartbeats and GoAway in the connection dialect', () => {
    for (const [, o] of DIALECTS) {
      const c = codec();
      const hb = one(peerHeartbeat(41, o), c);
      const ack = c.encodeHeartbeatReply(hb);
      const seen = peerDecode(ack);
      assert.deepEqual([seen.packetType, seen.packetId, seen.options.crcEnable ?? false], ['heartbeat_ack', 41, o.crcEnable === true]);
      const ping = c.encodeHeartbeat(42);
      const p = peerDecode(ping);
      assert.deepEqual([p.packetType, p.packetId, p.options.crcEnable ?? false], ['heartbeat', 42, o.crcEnable === true]);
      const away = one(c.encodeGoAway());
      assert.deepEqual([away.kind, away.goAway, away.heartbeat, away.cmdCode, away.requestId, away.layout.v2], ['request', true, false, 100, 0, o.protocolType === 'bolt2']);
    }
    const fresh = codec().encodeHeartbeat(1);
    assert.equal(fresh.toString('hex'), '01010000010000000101ffffffff0000000000000000');
    assert.equal(codec().encodeGoAway().toString('hex'), '01010064010000000001000000000000000000000000');
  });
});
