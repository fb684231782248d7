import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RpcProtocolError, type RpcFrame } from '../../interfaces/rpc-codec.js';
import { matchThrift, thriftCodec, type ThriftConnectionCodec } from './thrift-codec.js';
import { ThriftFrame } from './thrift-frame.js';
import { COMBOS, RICH_ARGS, THEADER_HEADERS, readTHeaderHeaders, appException, readAppException, readHeader, reply, richCall, thriftBytes, type Combo } from './test-frames.js';
import thrift from 'thrift';

const MAX = 64 * 1024;

function decodeAll(chunks: readonly Buffer[], max = MAX): RpcFrame[] {
  const codec = thriftCodec.createConnectionCodec({ maxFrameBytes: max });
  const out: RpcFrame[] = [];
  for (const c of chunks) codec.decode(c, out);
  return out;
}

function one(bytes: Buffer): ThriftFrame {
  const frames = decodeAll([bytes]);
  assert.equal(frames.length, 1);
  const f = frames[0];
  assert.ok(f instanceof ThriftFrame);
  return f;
}

const label = (c: Combo): string => `${c.transport} ${c.protocol}`;

describe('thrift match', () => {
  it('claims framed and unframed binary and compact calls from the first bytes', () => {
    for (const c of COMBOS) {
      const head = richCall(c, 'add', 1);
      assert.equal(matchThrift(head), 'yes', label(c));
      for (let n = 0; n < (c.transport === 'framed' ? 6 : 2); n++) assert.equal(matchThrift(head.subarray(0, n)), 'need-more', `${label(c)} ${n}`);
      assert.equal(matchThrift(richCall(c, 'fire', 1, 4)), 'yes', `${label(c)} oneway`);
      // THeader is claimed from its magic alone (the message type sits after the header block).
      if (c.transport !== 'header') assert.equal(matchThrift(reply(c, 'add', 1, 0)), 'no', `${label(c)} a reply does not open a connection`);
    }
  });

  it('refuses HTTP, Bolt, Dubbo and length-prefixed non-Thrift bytes', () => {
    for (const s of ['GET / HTTP/1.1\r\n', 'PRI * HTTP/2.0\r\n']) assert.equal(matchThrift(Buffer.from(s)), 'no', s);
    for (const hex of ['0101000101', '0201010001', 'dabbc200', '0000000a00000000', '00000002800100']) {
      assert.equal(matchThrift(Buffer.from(hex, 'hex')), 'no', hex);
    }
    assert.equal(matchThrift(Buffer.from('80020001', 'hex')), 'no');
    assert.equal(matchThrift(Buffer.from('8222', 'hex')), 'no');
  });
});

describe('thrift decode', () => {
  for (const c of COMBOS) {
    it(`decodes a call written by the thrift library (${label(c)})`, () => {
      const bytes = richCall(c, 'echo', 77);
      const f = one(bytes);
      assert.equal(f.kind, 'request');
      assert.equal(f.oneway, false);
      assert.equal(f.heartbeat, false);
      assert.equal(f.requestId, 77);
      assert.equal(f.service, '');
      assert.equal(f.method, 'echo');
      assert.equal(f.status, 'ok');
      assert.deepEqual(f.headers, c.transport === 'header' ? THEADER_HEADERS : new Map());
      assert.deepEqual(f.bytes, bytes);
      assert.deepEqual(f.args(), RICH_ARGS);
      assert.equal(f.args(), f.args(), 'decoded once');
    });

    it(`splits multiplexed names and marks oneway (${label(c)})`, () => {
      const f = one(richCall(c, 'Calc:fire', -5, 4));
      assert.equal(f.service, 'Calc');
      assert.equal(f.method, 'fire');
      assert.equal(f.oneway, true);
      assert.equal(f.kind, 'request');
      assert.equal(f.requestId, -5);
    });

    it(`maps replies: success ok, declared exception client_error, TApplicationException server_error (${label(c)})`, () => {
      // Upstream connections see replies first: detection works from them too.
      const frames = decodeAll([Buffer.concat([reply(c, 'add', 1, 0), reply(c, 'fail', 2, 1), reply(c, 'fire', 3, undefined), appException(c, 'add', 4, 1, 'no')])]);
      assert.deepEqual(frames.map((f) => [f.kind, f.requestId, f.method, f.status]), [
        ['response', 1, 'add', 'ok'],
        ['response', 2, 'fail', 'client_error'],
        ['response', 3, 'fire', 'ok'],
        ['response', 4, 'add', 'server_error'],
      ]);
    });

    it(`decodes three messages split at every byte (${label(c)})`, () => {
      const codec = thriftCodec.createConnectionCodec({ maxFrameBytes: MAX });
      const msgs = [richCall(c, 'echo', 1), richCall(c, 'Calc:add', 2), richCall(c, 'fire', 3, 4)];
      const all = Buffer.concat(msgs);
      for (let i = 0; i <= all.length; i++) {
        for (const j of [i, Math.min(all.length, i + 7)]) {
          const frames = decodeAll([all.subarray(0, i), all.subarray(i, j), all.subarray(j)]);
          assert.deepEqual(frames.map((f) => f.requestId), [1, 2, 3], `split ${i}/${j}`);
          frames.forEach((f, k) => {
            assert.deepEqual(f.bytes, msgs[k], `split ${i}/${j} frame ${k}`);
            if (i === 0) assert.equal(one(codec.rewriteRequest(f, { requestId: 1000 + k })).requestId, 1000 + k);
          });
        }
      }
    });

    it(`rewrites the seqid and keeps the rest (${label(c)})`, () => {
      const codec = thriftCodec.createConnectionCodec({ maxFrameBytes: MAX });
      const f = one(richCall(c, 'Calc:echo', 5));
      const before = Buffer.from(f.bytes);
      // Compact seqids are varints: 5 takes 1 byte, 300000 takes 3, -1 takes 5.
      for (const id of [9, 300000, 0x7fffffff, -1, 5]) {
        const out = codec.rewriteRequest(f, { requestId: id, setHeaders: new Map([['x', 'y']]) });
        const h = readHeader(c, out);
        // The library reads compact seqids as unsigned varints.
        assert.deepEqual({ ...h, seqid: h.seqid | 0 }, { name: 'Calc:echo', mtype: 1, seqid: id });
        const again = one(out);
        assert.equal(again.requestId, id);
        assert.deepEqual(again.args(), RICH_ARGS);
        const back = codec.rewriteResponse(again, 5);
        if (c.transport !== 'header') assert.deepEqual(back, before);
        else {
          // THeader: the header seqid follows, and the set header joins the existing ones.
          assert.equal(out.readInt32BE(8), id);
          assert.deepEqual(readTHeaderHeaders(out), { ...Object.fromEntries(THEADER_HEADERS), x: 'y' });
          assert.deepEqual(again.headers, new Map([...THEADER_HEADERS, ['x', 'y']]));
          assert.deepEqual(back.subarray(back.length - before.length + 40), before.subarray(40));
          assert.equal(one(back).requestId, 5);
        }
      }
      assert.deepEqual(f.bytes, before, 'the decoded frame is not modified');
    });

    it(`answers locally with a TApplicationException the library reads (${label(c)})`, () => {
      const codec = thriftCodec.createConnectionCodec({ maxFrameBytes: MAX });
      const f = one(richCall(c, 'Calc:add', 300));
      const cases = [
        ['no_route', 1], ['bad_request', 7], ['no_healthy_upstream', 6], ['upstream_unavailable', 6], ['timeout', 6],
        ['overflow', 6], ['rate_limited', 6], ['fault_abort', 6],
      ] as const;
      for (const [status, type] of cases) {
        const out = codec.encodeLocalReply(f, status, `weft: ${status} ü`);
        assert.ok(out);
        assert.deepEqual(readAppException(c, out), { name: 'add', mtype: 3, seqid: 300, type, message: `weft: ${status} ü` });
        const back = one(out);
        assert.equal(back.status, 'server_error');
      }
      assert.equal(codec.encodeLocalReply(one(richCall(c, 'fire', 1, 4)), 'no_route', 'x'), undefined);
    });
  }

  it('reads old-style non-strict binary, framed and unframed, and answers in kind', () => {
    const body = Buffer.concat([Buffer.from('00000003', 'hex'), Buffer.from('add'), Buffer.from('01', 'hex'), Buffer.from('0000000b', 'hex'), Buffer.from('0800010000000200', 'hex')]);
    const framed = Buffer.concat([Buffer.from([0, 0, 0, body.length]), body]);
    for (const [bytes, pre] of [[body, 0], [framed, 4]] as const) {
      const codec = thriftCodec.createConnectionCodec({ maxFrameBytes: MAX });
      const out: RpcFrame[] = [];
      codec.decode(Buffer.concat([bytes, bytes]), out);
      assert.deepEqual(out.map((f) => [f.method, f.requestId]), [['add', 11], ['add', 11]]);
      assert.deepEqual(out[0]?.args(), [2]);
      const r = codec.encodeLocalReply(out[0] as RpcFrame, 'no_route', 'm') as Buffer;
      assert.deepEqual(r.subarray(pre, pre + 8), Buffer.from('00000003616464 03'.replace(' ', ''), 'hex'));
      assert.equal(codec.rewriteRequest(out[0] as RpcFrame, { requestId: 12 }).readInt32BE(pre + 8), 12);
    }
  });

  it('refuses frames over the size limit, declared lengths over it, bad versions and THeader transforms', () => {
    const c: Combo = { transport: 'framed', protocol: 'binary' };
    const big = richCall(c, 'echo', 1);
    assert.throws(() => decodeAll([big], big.length - 1), RpcProtocolError);
    assert.equal(decodeAll([big], big.length).length, 1);
    const u = richCall({ transport: 'unframed', protocol: 'compact' }, 'echo', 1);
    assert.throws(() => decodeAll([u], u.length - 1), RpcProtocolError);
    // An unframed string declaring 2 GB fails at once instead of waiting for it.
    assert.throws(() => decodeAll([Buffer.from('800100010000000361646400000001 0b0001 7fffffff'.replaceAll(' ', ''), 'hex')]), /exceeds/);
    // Partial unframed bytes past the limit fail before the message completes.
    const partial = u.subarray(0, u.length - 1);
    assert.throws(() => decodeAll([partial], partial.length - 2), RpcProtocolError);
    assert.throws(() => decodeAll([Buffer.from('0000000e0fff000000000000000100010000', 'hex')]), /transforms/);
    assert.throws(() => decodeAll([Buffer.from('0000000e0fff000000000000000101000000', 'hex')]), /protocol id 1/);
    assert.throws(() => decodeAll([Buffer.from('0000000e0fff000000000000000900000000', 'hex')]), /header size/);
    assert.throws(() => decodeAll([Buffer.from('8002000100', 'hex')]), /version/);
    assert.throws(() => decodeAll([Buffer.from('82020000000000', 'hex')]), /compact version/);
    assert.throws(() => decodeAll([Buffer.from('00000000', 'hex'), Buffer.from('00000000', 'hex')]), RpcProtocolError);
    assert.throws(() => decodeAll([Buffer.from('800100070000000161000000010000', 'hex')]), /message type/);
  });

  for (const protocol of ['binary', 'compact'] as const) {
    it(`walks a large unframed ${protocol} message once, however small the reads it arrives in`, () => {
      const T = thrift.Thrift.Type;
      const n = 3000;
      const bytes = thriftBytes({ transport: 'unframed', protocol }, (p) => {
        p.writeMessageBegin('bulk', thrift.Thrift.MessageType.CALL, 7);
        p.writeStructBegin('args');
        p.writeFieldBegin('items', T.LIST, 1);
        p.writeListBegin(T.STRUCT, n);
        for (let i = 0; i < n; i++) {
          p.writeStructBegin('Item');
          p.writeFieldBegin('name', T.STRING, 1);
          p.writeString(`item-${i}`);
          p.writeFieldEnd();
          p.writeFieldBegin('tags', T.MAP, 2);
          p.writeMapBegin(T.STRING, T.I64, 2);
          p.writeString('a');
          p.writeI64(i);
          p.writeString('b');
          p.writeI64(-i);
          p.writeMapEnd();
          p.writeFieldEnd();
          p.writeFieldBegin('flag', T.BOOL, 3);
          p.writeBool(i % 2 === 0);
          p.writeFieldEnd();
          p.writeFieldStop();
          p.writeStructEnd();
        }
        p.writeListEnd();
        p.writeFieldEnd();
        p.writeFieldStop();
        p.writeStructEnd();
        p.writeMessageEnd();
      });
      assert.ok(bytes.length > 40_000);
      const codec = thriftCodec.createConnectionCodec({ maxFrameBytes: 1 << 20 }) as ThriftConnectionCodec;
      const out: RpcFrame[] = [];
      for (let i = 0; i < bytes.length; i += 16) codec.decode(bytes.subarray(i, i + 16), out);
      assert.equal(out.length, 1);
      const f = out[0] as ThriftFrame;
      assert.deepEqual(f.bytes, bytes);
      assert.equal(f.method, 'bulk');
      assert.equal(f.requestId, 7);
      const items = f.args()[0] as unknown[][];
      assert.equal(items.length, n);
      assert.deepEqual(items[n - 1], [`item-${n - 1}`, { a: n - 1, b: -(n - 1) }, false]);
      // Each byte of the body is walked once (a re-walk from the start on every read would be ~n^2/2 / 16 bytes).
      assert.equal(codec.bytesWalked, bytes.length - f.bodyOffset);
      // The next message starts a fresh walk.
      codec.decode(bytes, out);
      assert.equal(out.length, 2);
      assert.equal(codec.bytesWalked, 2 * (bytes.length - f.bodyOffset));
    });
  }

  it('has no heartbeats or goaway', () => {
    const codec = thriftCodec.createConnectionCodec({ maxFrameBytes: MAX });
    assert.equal(codec.encodeHeartbeat(1), undefined);
    assert.equal(codec.encodeGoAway(), undefined);
    const f = one(richCall(COMBOS[0] as Combo, 'add', 1));
    assert.throws(() => codec.encodeHeartbeatReply(f), /no heartbeats/);
    assert.equal(thriftCodec.name, 'thrift');
  });
});
