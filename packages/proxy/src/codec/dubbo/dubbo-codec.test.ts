import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RpcProtocolError, type RpcFrame } from '../../interfaces/rpc-codec.js';
import * as captured from './captured-frames.js';
import { hessianEncoder } from './hessian.js';
import { hessianString } from './hessian-write.js';
import { dubboCodec, type DubboFrame, type DubboResponseFrame } from './index.js';

const MAX = 256 * 1024;

function decodeAll(...chunks: Buffer[]): DubboFrame[] {
  const codec = dubboCodec.createConnectionCodec({ maxFrameBytes: MAX });
  const out: RpcFrame[] = [];
  for (const c of chunks) codec.decode(c, out);
  return out as DubboFrame[];
}

function summary(f: RpcFrame): unknown {
  return { kind: f.kind, id: f.requestId, oneway: f.oneway, heartbeat: f.heartbeat, service: f.service, method: f.method, version: f.version, group: f.group, application: f.application, timeout: f.requestTimeoutMs, headers: Object.fromEntries(f.headers) };
}

const DEMO = 'org.apache.dubbo.demo.DemoService';
const headersOf = (app: string): Record<string, string> => ({ application: app, group: 'g1', interface: DEMO, path: DEMO, timeout: '3', version: '1.0.0' });

describe('dubbo codec: frames captured from the real clients', () => {
  for (const [lib, app, hello, mixed, noArgs] of [
    ['dubbo2.js', 'dubbo2.js', captured.DUBBO2JS_SAY_HELLO, captured.DUBBO2JS_MIXED, captured.DUBBO2JS_NO_ARGS],
    ['apache-dubbo-js', 'dubbo-js', captured.APACHE_SAY_HELLO, captured.APACHE_MIXED, captured.APACHE_NO_ARGS],
  ] as const) {
    it(`decodes the ${lib} routing metadata, attachments and arguments of several Java types`, () => {
      const [a, b, c] = decodeAll(Buffer.concat([hello, mixed, noArgs]));
      const base = { kind: 'request', oneway: false, heartbeat: false, service: DEMO, version: '1.0.0', group: 'g1', application: app, timeout: 3, headers: headersOf(app) };
      assert.deepEqual(summary(a!), { ...base, id: 1, method: 'sayHello' });
      assert.deepEqual(summary(b!), { ...base, id: 2, method: 'mixed' });
      assert.deepEqual(summary(c!), { ...base, id: 3, method: 'noArgs' });
      assert.deepEqual(a!.args(), ['world']);
      assert.deepEqual(b!.args(), [42, 1234567890123, true, 1.5, ['a', 'b'], { k: 'v' }, { id: 1, name: 'n' }, ['x', 'y']]);
      assert.deepEqual(c!.args(), []);
      assert.equal(a!.badRequest, undefined);
      assert.equal(a!.status, 'ok');
    });
  }

  it('decodes the same frames split at every byte position, keeping the partial frame across reads', () => {
    const stream = Buffer.concat([captured.DUBBO2JS_SAY_HELLO, captured.DUBBO2JS_MIXED]);
    const expected = decodeAll(stream).map(summary);
    for (let i = 1; i < stream.length; i++) {
      const frames = decodeAll(stream.subarray(0, i), stream.subarray(i));
      assert.deepEqual(frames.map(summary), expected, `split at ${i}`);
    }
  });

  it('decodes a stream fed one byte at a time', () => {
    const stream = Buffer.concat([captured.APACHE_MIXED, captured.CLIENT_HEARTBEAT, captured.APACHE_NO_ARGS]);
    const chunks = [...stream].map((b) => Buffer.of(b));
    const frames = decodeAll(...chunks);
    assert.deepEqual(frames.map((f) => [f.requestId, f.method, f.heartbeat]), [[2, 'mixed', false], [0, '', true], [3, 'noArgs', false]]);
    assert.deepEqual(frames[0]!.bytes, captured.APACHE_MIXED);
  });

  it('gives a frame inside one read a view of it, and a frame that spans reads its own joined bytes', () => {
    const chunk = Buffer.from(captured.DUBBO2JS_SAY_HELLO);
    const [f] = decodeAll(chunk);
    assert.equal(f!.bytes.buffer, chunk.buffer, 'not copied');
    const split = Buffer.from(captured.DUBBO2JS_SAY_HELLO);
    const [g] = decodeAll(split.subarray(0, 20), split.subarray(20));
    split.fill(0);
    assert.deepEqual(g!.bytes, captured.DUBBO2JS_SAY_HELLO);
  });
});

describe('dubbo codec: other request shapes', () => {
  const frameOf = (body: Buffer, flags = 0xc2): Buffer => {
    const head = Buffer.from('dabb0000000000000000000b00000000', 'hex');
    head[2] = flags;
    head.writeUInt32BE(body.length, 12);
    return Buffer.concat([head, body]);
  };

  it('reads a Java-style body: null version, typed attachments map, remote.application, non-string values, chunked string args', () => {
    const enc = hessianEncoder();
    enc.write('2.0.2').write('com.x.Echo').writeNull().write('echo').write('Ljava/lang/String;[ILjava/util/Date;');
    enc.write('é😀'.repeat(20000)).write({ $class: '[int', $: [1, 2] }).write(new Date(1700000000000));
    // A typed map as Java's Hessian writes a ConcurrentHashMap ('M' type entries 'Z'); timeout is a long 'L'.
    const s = hessianString;
    const attachments = Buffer.concat([Buffer.of(0x4d), s('java.util.concurrent.ConcurrentHashMap'), s('remote.application'), s('java-app'), s('version'), s('3.0'),
      s('timeout'), Buffer.from('4c00000000000000fa', 'hex'), s('group'), s('gold'), s('flag'), Buffer.of(0x54), s('nested'), Buffer.of(0x48), s('a'), Buffer.of(0x91, 0x5a),
      s('nothing'), Buffer.of(0x4e), Buffer.of(0x5a)]);
    const [f] = decodeAll(frameOf(Buffer.concat([enc.get(), attachments])), Buffer.alloc(0));
    assert.equal(f!.badRequest, undefined);
    assert.deepEqual(summary(f!), {
      kind: 'request', id: 11, oneway: false, heartbeat: false, service: 'com.x.Echo', method: 'echo', version: '3.0', group: 'gold', application: 'java-app', timeout: 250,
      headers: { 'remote.application': 'java-app', version: '3.0', timeout: '250', group: 'gold', flag: 'true' },
    });
    const args = f!.args();
    assert.equal(args[0], 'é😀'.repeat(20000));
    assert.deepEqual(args.slice(1), [[1, 2], new Date(1700000000000)]);
    const codec = dubboCodec.createConnectionCodec({ maxFrameBytes: MAX });
    const [again] = decodeAll(codec.rewriteRequest(f!, { requestId: 12, setHeaders: new Map([['group', 'silver'], ['x-colour', 'red']]) }));
    assert.deepEqual(Object.fromEntries(again!.headers), { 'remote.application': 'java-app', version: '3.0', timeout: '250', flag: 'true', group: 'silver', 'x-colour': 'red' });
    assert.deepEqual(again!.args(), args);
  });

  it('skips the int dubbox clients write before the parameter types', () => {
    const enc = hessianEncoder();
    enc.write('2.0.2').write('com.x.Echo').write('1.0').write('echo').write(-1).write('I').write(5).write({ path: 'com.x.Echo' });
    const [f] = decodeAll(frameOf(enc.get()));
    assert.deepEqual([f!.service, f!.method, f!.version, f!.badRequest, f!.args()], ['com.x.Echo', 'echo', '1.0', undefined, [5]]);
  });

  it('takes the service from the attachments when the body path is empty, and reads a body without attachments', () => {
    const enc = hessianEncoder();
    enc.write('2.0.2').write('').write('').write('m').write('').write({ interface: 'com.x.FromAttachment', version: '9' });
    const [f] = decodeAll(frameOf(enc.get()));
    assert.deepEqual([f!.service, f!.version], ['com.x.FromAttachment', '9']);
    const bare = hessianEncoder().write('2.0.2').write('com.x.A').write('').write('m').write('J').write(7).get();
    const [g] = decodeAll(frameOf(bare, 0x82));
    assert.deepEqual([g!.service, g!.oneway, g!.headers.size, g!.args()], ['com.x.A', true, 0, [7]]);
  });
});

describe('dubbo codec: rewrites', () => {
  const codec = dubboCodec.createConnectionCodec({ maxFrameBytes: MAX });

  it('patches the 8-byte request id of a request and of a response without touching the frame', () => {
    const [req] = decodeAll(captured.DUBBO2JS_SAY_HELLO);
    const out = codec.rewriteRequest(req!, { requestId: 2 ** 40 + 7 });
    assert.equal(out.readBigUInt64BE(4), 2n ** 40n + 7n);
    assert.deepEqual(out.subarray(12), captured.DUBBO2JS_SAY_HELLO.subarray(12));
    assert.equal(req!.bytes.readBigUInt64BE(4), 1n);
    const resp = decodeAll(Buffer.from('dabb02140000000000000063000000029101', 'hex'))[0]!;
    assert.equal(codec.rewriteResponse(resp, 5).toString('hex'), 'dabb02140000000000000005000000029101');
  });

  it('patches the request id in the read bytes themselves when the frame is sent once, and responses always', () => {
    const wire = Buffer.from(captured.DUBBO2JS_SAY_HELLO);
    const [req] = decodeAll(wire);
    const out = codec.rewriteRequest(req!, { requestId: 9, inPlace: true });
    assert.equal(out.buffer, wire.buffer, 'no copy');
    assert.equal(wire.readBigUInt64BE(4), 9n);
    assert.equal(req!.requestId, 1, 'the downstream id is kept for the response');
    const respWire = Buffer.from('dabb02140000000000000063000000029101', 'hex');
    const resp = decodeAll(respWire)[0]!;
    assert.equal(codec.rewriteResponse(resp, 5).buffer, respWire.buffer);
    assert.equal(respWire.toString('hex'), 'dabb02140000000000000005000000029101');
  });

  it('rewrites frames where they lie in the read buffer (in-place fast paths), and declines what needs new bytes', () => {
    const c = dubboCodec.createConnectionCodec({ maxFrameBytes: MAX });
    const respHex = 'dabb02140000000000000063000000029101';
    const wire = Buffer.concat([captured.DUBBO2JS_SAY_HELLO, Buffer.from(respHex, 'hex')]);
    const [req, resp] = decodeAll(wire);
    assert.equal(req!.size, captured.DUBBO2JS_SAY_HELLO.length);
    assert.equal(req!.backingOffset, wire.byteOffset);
    assert.equal(resp!.backingOffset, wire.byteOffset + captured.DUBBO2JS_SAY_HELLO.length);
    assert.equal(c.rewriteRequestInPlace!(req!, { requestId: 9 }), false, 'not when the frame may be sent again');
    assert.equal(c.rewriteRequestInPlace!(req!, { requestId: 9, inPlace: true, setHeaders: new Map([['colour', 'blue']]) }), false);
    assert.equal(wire.readBigUInt64BE(4), 1n, 'declined rewrites leave the bytes alone');
    assert.equal(c.rewriteRequestInPlace!(req!, { requestId: 9, inPlace: true }), true);
    assert.equal(wire.readBigUInt64BE(4), 9n);
    assert.equal(c.rewriteResponseInPlace!(resp!, 2 ** 40 + 5), true);
    const at = captured.DUBBO2JS_SAY_HELLO.length;
    assert.equal(wire.readBigUInt64BE(at + 4), 2n ** 40n + 5n);
    assert.equal(wire.subarray(at).toString('hex'), 'dabb02140000010000000005000000029101');
    assert.equal(resp!.bytes.readBigUInt64BE(4), 2n ** 40n + 5n, 'a view made later sees the patched id');
  });

  it('reads repeated calls from its caches, and a call to another method afresh', () => {
    const c = dubboCodec.createConnectionCodec({ maxFrameBytes: MAX });
    const out: RpcFrame[] = [];
    c.decode(Buffer.concat([captured.DUBBO2JS_SAY_HELLO, captured.DUBBO2JS_SAY_HELLO, captured.DUBBO2JS_MIXED, captured.DUBBO2JS_SAY_HELLO]), out);
    const [a, b, m, again] = out.map(summary);
    assert.deepEqual(b, a);
    assert.deepEqual(again, a);
    assert.deepEqual(m, summary(decodeAll(captured.DUBBO2JS_MIXED)[0]!));
    assert.notEqual((m as { method: string }).method, (a as { method: string }).method);
    assert.equal(out[0]!.headers, out[1]!.headers, 'one attachments map for equal bytes');
  });

  it('re-encodes the attachments with new and replaced values, keeping the other entries and their types', () => {
    const [req] = decodeAll(captured.APACHE_MIXED);
    const out = codec.rewriteRequest(req!, { requestId: 9, setHeaders: new Map([['x-colour', 'blue'], ['group', 'g2'], ['ünïcode', 'ü'.repeat(40)]]) });
    assert.equal(out.readUInt32BE(12), out.length - 16);
    const [again] = decodeAll(out);
    assert.equal(again!.requestId, 9);
    assert.equal(again!.group, 'g2');
    assert.deepEqual(Object.fromEntries(again!.headers), { ...headersOf('dubbo-js'), group: 'g2', 'x-colour': 'blue', 'ünïcode': 'ü'.repeat(40) });
    assert.deepEqual(again!.args(), req!.args());
    // `timeout` stayed a Hessian int (0x93), copied byte for byte.
    assert.ok(out.includes(Buffer.from('0774696d656f757493', 'hex')));
  });

  it('adds an attachments map to a request that has none', () => {
    const bare = Buffer.from(captured.DUBBO2JS_NO_ARGS.subarray(0, captured.DUBBO2JS_NO_ARGS.indexOf(Buffer.from('480b6170706c', 'hex'))));
    bare.writeUInt32BE(bare.length - 16, 12);
    const [req] = decodeAll(bare);
    assert.equal(req!.headers.size, 0);
    const [again] = decodeAll(codec.rewriteRequest(req!, { requestId: 4, setHeaders: new Map([['k', 'v']]) }));
    assert.deepEqual(Object.fromEntries(again!.headers), { k: 'v' });
    assert.equal(again!.method, 'noArgs');
  });
});

describe('dubbo codec: responses, heartbeats, events', () => {
  const codec = dubboCodec.createConnectionCodec({ maxFrameBytes: MAX });
  const response = (status: number, body: string): DubboResponseFrame => {
    const b = Buffer.from(body, 'hex');
    const head = Buffer.from('dabb0200000000000000002a00000000', 'hex');
    head[3] = status;
    head.writeUInt32BE(b.length, 12);
    return decodeAll(Buffer.concat([head, b]))[0] as unknown as DubboResponseFrame;
  };

  it('maps every response status byte and the OK body response types', () => {
    const cases: [number, string, string][] = [
      [20, '9105776f726c64', 'ok'], // RESPONSE_VALUE "world"
      [20, '92', 'ok'], // RESPONSE_NULL_VALUE
      [20, '90' + '4e', 'ok'], // RESPONSE_WITH_EXCEPTION: a business exception
      [20, '9448', 'ok'], // RESPONSE_VALUE_WITH_ATTACHMENTS (truncated value is not inspected)
      [20, '9f', 'unknown'], // response type 15 does not exist
      [30, '01', 'timeout'], [31, '01', 'timeout'], [35, '01', 'server_error'], [40, '01', 'client_error'],
      [50, '01', 'server_error'], [60, '01', 'client_error'], [70, '01', 'server_error'], [80, '01', 'server_error'],
      [90, '01', 'client_error'], [100, '01', 'overflow'], [99, '01', 'unknown'],
    ];
    for (const [status, body, expected] of cases) {
      const f = response(status, body);
      assert.equal(f.kind, 'response');
      assert.equal(f.requestId, 42);
      assert.equal(f.status, expected, `status ${status} body ${body}`);
      assert.equal(f.statusCode, status);
    }
    assert.equal(response(20, '9105776f726c64').responseType, 1);
  });

  it('decodes a client heartbeat and answers it with an OK event response with a null body', () => {
    const [hb] = decodeAll(captured.CLIENT_HEARTBEAT);
    assert.deepEqual([hb!.kind, hb!.heartbeat, hb!.oneway, hb!.goAway, hb!.requestId], ['request', true, false, false, 0]);
    const hb7 = decodeAll(codec.encodeHeartbeat(7)!)[0]!;
    assert.equal(codec.encodeHeartbeat(7)!.toString('hex'), 'dabbe2000000000000000007000000014e');
    assert.equal(codec.encodeHeartbeatReply(hb7).toString('hex'), 'dabb22140000000000000007000000014e');
    const [reply] = decodeAll(codec.encodeHeartbeatReply(hb7));
    assert.deepEqual([reply!.kind, reply!.heartbeat, reply!.status, reply!.requestId], ['response', true, 'ok', 7]);
  });

  it('writes and recognises the read-only event ("R") Dubbo servers send before shutting down', () => {
    const goAway = codec.encodeGoAway()!;
    assert.equal(goAway.toString('hex'), 'dabba200' + '0000000000000000' + '00000002' + '0152');
    const [f] = decodeAll(goAway);
    assert.deepEqual([f!.kind, f!.goAway, f!.heartbeat, f!.oneway], ['request', true, false, true]);
  });

  it('treats an unknown two-way event as a heartbeat and an empty-body event as one too', () => {
    const [other] = decodeAll(Buffer.from('dabbe200000000000000000300000002015a', 'hex'));
    assert.deepEqual([other!.heartbeat, other!.goAway], [true, false]);
    const [empty] = decodeAll(Buffer.from('dabbe200' + '0000000000000004' + '00000000', 'hex'));
    assert.equal(empty!.heartbeat, true);
  });
});

describe('dubbo codec: local replies', () => {
  const codec = dubboCodec.createConnectionCodec({ maxFrameBytes: MAX });
  const [req] = decodeAll(captured.DUBBO2JS_SAY_HELLO);

  it('answers each local failure with its Dubbo status and the message as a Hessian string', () => {
    const expected = { no_route: 60, no_healthy_upstream: 80, upstream_unavailable: 80, timeout: 31, overflow: 100, rate_limited: 100, fault_abort: 70, bad_request: 40 } as const;
    for (const [status, code] of Object.entries(expected)) {
      const out = codec.encodeLocalReply(req!, status as keyof typeof expected, 'no route for x')!;
      assert.equal(out.toString('hex'), `dabb02${code.toString(16).padStart(2, '0')}0000000000000001000000` + '0f0e' + Buffer.from('no route for x').toString('hex'), status);
      const [f] = decodeAll(out);
      assert.equal(f!.kind, 'response');
    }
    const long = codec.encodeLocalReply(req!, 'timeout', 'x'.repeat(40000))!;
    assert.equal(long.readUInt32BE(12), long.length - 16);
    assert.equal(long.subarray(16, 19).toString('hex'), '528000');
  });

  it('sends nothing for a oneway request', () => {
    const oneway = Buffer.from(captured.DUBBO2JS_SAY_HELLO);
    oneway[2] = 0x82;
    const [f] = decodeAll(oneway);
    assert.equal(f!.oneway, true);
    assert.equal(codec.encodeLocalReply(f!, 'no_route', 'x'), undefined);
  });
});

describe('dubbo codec: errors and limits', () => {
  it('matches on the 0xdabb magic', () => {
    assert.equal(dubboCodec.match(Buffer.alloc(0)), 'need-more');
    assert.equal(dubboCodec.match(Buffer.of(0xda)), 'need-more');
    assert.equal(dubboCodec.match(Buffer.of(0xda, 0xbb)), 'yes');
    assert.equal(dubboCodec.match(Buffer.of(0xda, 0xbc)), 'no');
    assert.equal(dubboCodec.match(Buffer.from('GET / HTTP/1.1')), 'no');
    assert.equal(dubboCodec.name, 'dubbo');
  });

  it('refuses a frame above the size limit as soon as its header arrives', () => {
    const codec = dubboCodec.createConnectionCodec({ maxFrameBytes: 100 });
    assert.throws(() => codec.decode(captured.DUBBO2JS_SAY_HELLO.subarray(0, 16), []), (e: unknown) => e instanceof RpcProtocolError && /exceeds the limit of 100/.test(e.message));
    const exact = dubboCodec.createConnectionCodec({ maxFrameBytes: captured.DUBBO2JS_SAY_HELLO.length });
    const out: RpcFrame[] = [];
    exact.decode(captured.DUBBO2JS_SAY_HELLO, out);
    assert.equal(out.length, 1);
  });

  it('refuses a bad magic, also on the first byte of a following frame', () => {
    assert.throws(() => decodeAll(Buffer.from('GET / HTTP/1.1\r\n\r\n')), RpcProtocolError);
    assert.throws(() => decodeAll(Buffer.concat([captured.CLIENT_HEARTBEAT, Buffer.of(0x00)])), RpcProtocolError);
  });

  it('refuses request ids at or above 2^53', () => {
    const big = Buffer.from(captured.CLIENT_HEARTBEAT);
    big.writeBigUInt64BE(2n ** 53n, 4);
    assert.throws(() => decodeAll(big), /2\^53/);
    big.writeBigUInt64BE(2n ** 53n - 1n, 4);
    assert.equal(decodeAll(big)[0]!.requestId, Number.MAX_SAFE_INTEGER);
  });

  it('marks a request with another serialization or an undecodable body as a bad request, keeping the connection', () => {
    const json = Buffer.from(captured.DUBBO2JS_SAY_HELLO);
    json[2] = 0xc6; // fastjson
    const garbled = Buffer.from(captured.DUBBO2JS_SAY_HELLO);
    garbled[16] = 0x40; // reserved Hessian code
    const [a, b, c] = decodeAll(Buffer.concat([json, garbled, captured.DUBBO2JS_NO_ARGS]));
    assert.equal(a!.badRequest, 'unsupported serialization id 6');
    assert.equal(a!.requestId, 1);
    assert.match(b!.badRequest ?? '', /expected a hessian value, got byte 0x40/);
    assert.throws(() => b!.args(), RpcProtocolError);
    assert.equal(c!.method, 'noArgs');
  });
});
