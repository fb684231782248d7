/**
 * The Thrift codec between the real Apache thrift client and server (npm thrift 0.22.0): a small relay built only
 * on the codec decodes the client's calls, rewrites their seqids to its own, forwards them to the real server,
 * and maps the replies back by seqid; or answers locally with encodeLocalReply.
 */
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import type { RpcConnectionCodec, RpcFrame, RpcLocalStatus } from '@weft/proxy/interfaces/rpc-codec';
import { thriftCodec, type ThriftFrame } from '@weft/proxy/codec/thrift/index';
import { THEADER_HEADERS, addCall } from '@weft/proxy/codec/thrift/test-frames';
import {
  createThriftClient, loadThriftFixture, startThriftServer, type TestThriftClient, type TestThriftServer,
  type ThriftPeerOptions, type CalcHandlers,
} from '@weft/testing';

const MAX = 1024 * 1024;

interface Relay {
  readonly port: number;
  /** Every frame decoded from clients and from the server, in order. */
  readonly requests: ThriftFrame[];
  readonly responses: ThriftFrame[];
  /** The raw bytes clients sent. */
  readonly received: Buffer[];
  close(): Promise<void>;
}

/** Forwards to `upstreamPort` with seqids starting at `firstId`; `local` picks requests to answer itself. */
async function startRelay(upstreamPort: number, firstId: number, local?: (f: RpcFrame) => RpcLocalStatus | undefined): Promise<Relay> {
  const requests: ThriftFrame[] = [];
  const responses: ThriftFrame[] = [];
  const received: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket): net.Socket => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    return s;
  };
  const server = net.createServer((down) => {
    track(down);
    const downCodec: RpcConnectionCodec = thriftCodec.createConnectionCodec({ maxFrameBytes: MAX });
    const upCodec: RpcConnectionCodec = thriftCodec.createConnectionCodec({ maxFrameBytes: MAX });
    const up = track(net.connect(upstreamPort, '127.0.0.1'));
    const inflight = new Map<number, number>();
    let nextId = firstId;
    down.on('data', (chunk: Buffer) => {
      received.push(Buffer.from(chunk));
      const frames: RpcFrame[] = [];
      downCodec.decode(chunk, frames);
      for (const f of frames) {
        requests.push(f as ThriftFrame);
        const status = local?.(f);
        if (status !== undefined) {
          const reply = downCodec.encodeLocalReply(f, status, `weft: ${status} for ${f.method}`);
          if (reply) down.write(reply);
          continue;
        }
        const id = nextId++;
        if (!f.oneway) inflight.set(id, f.requestId);
        up.write(upCodec.rewriteRequest(f, { requestId: id }));
      }
    });
    up.on('data', (chunk: Buffer) => {
      const frames: RpcFrame[] = [];
      upCodec.decode(chunk, frames);
      for (const f of frames) {
        responses.push(f as ThriftFrame);
        const downId = inflight.get(f.requestId);
        assert.ok(downId !== undefined, `a reply to seqid ${f.requestId} nobody asked for`);
        inflight.delete(f.requestId);
        down.write(upCodec.rewriteResponse(f, downId));
      }
    });
    down.on('close', () => up.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    responses,
    received,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

const COMBOS: ThriftPeerOptions[] = [];
for (const transport of ['framed', 'buffered'] as const) {
  for (const protocol of ['binary', 'compact'] as const) {
    for (const multiplexed of [false, true]) COMBOS.push({ transport, protocol, multiplexed });
  }
}
const label = (o: ThriftPeerOptions): string => `${o.transport} ${o.protocol}${o.multiplexed ? ' multiplexed' : ''}`;

interface Rig { server: TestThriftServer; relay: Relay; client: TestThriftClient }
const open: Rig[] = [];
/** slow(_, 1) answers only after slow(_, 2) has been answered: replies come back out of order, whatever the load. */
function gatedSlow(): Partial<CalcHandlers> {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  return {
    slow: async (_ms: number, value: number): Promise<number> => {
      if (value === 1) await gate;
      else setTimeout(release, 20);
      return value;
    },
  };
}

async function rig(o: ThriftPeerOptions, firstId: number, local?: (f: RpcFrame) => RpcLocalStatus | undefined): Promise<Rig> {
  const server = await startThriftServer({ ...o, handlers: gatedSlow() });
  const relay = await startRelay(server.port, firstId, local);
  const client = await createThriftClient(relay.port, o);
  const r = { server, relay, client };
  open.push(r);
  return r;
}
async function close(r: Rig): Promise<void> {
  open.splice(open.indexOf(r), 1);
  await r.client.close();
  await r.relay.close();
  await r.server.close();
}
after(async () => {
  for (const r of [...open]) await close(r);
});

/** Resolves once `cond` holds (the oneway call has no reply to wait on). */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond());
}

describe('thrift codec with the real thrift client and server', () => {
  for (const o of COMBOS) {
    it(`relays calls, exceptions, oneway and out-of-order replies with rewritten seqids (${label(o)})`, async () => {
      const gen = loadThriftFixture();
      // Seqids from 120: compact varints grow from 1 to 2 bytes on the way up and shrink on the way back.
      const r = await rig(o, 120);
      const { calc } = r.client;
      assert.equal(await calc.add(2, 40), 42);
      const item = new gen.types.Item({ name: 'n', tags: [1, 2], weights: { w: 1.5 }, flag: true });
      assert.equal(await calc.echo('s', item, ['x'], -3, 700, 12345, 2.5, true), 's');
      await assert.rejects(calc.fail('why', 7), (e: unknown) => e instanceof gen.types.Oops && (e as unknown as { code: number }).code === 7);
      await assert.rejects(calc.fail('crash', 1), (e: Error) => e.name === 'TApplicationException' && e.message === 'crashed: 1');
      // The first call is answered after the second: replies are matched by seqid, not order.
      const order: number[] = [];
      const [a, b] = await Promise.all([calc.slow(80, 1).then((v) => { order.push(v); return v; }), calc.slow(1, 2).then((v) => { order.push(v); return v; })]);
      assert.deepEqual([a, b, order], [1, 2, [2, 1]]);
      await calc.fire('note');
      await until(() => r.server.calls.some((c) => c.method === 'fire'));
      if (o.multiplexed) assert.equal(await r.client.greeter.hello('bo'), 'hello bo');

      const svc = o.multiplexed ? 'Calc' : '';
      const req = r.relay.requests;
      assert.deepEqual(req.map((f) => [f.service, f.method, f.oneway]), [
        [svc, 'add', false], [svc, 'echo', false], [svc, 'fail', false], [svc, 'fail', false], [svc, 'slow', false],
        [svc, 'slow', false], [svc, 'fire', true], ...(o.multiplexed ? [['Greeter', 'hello', false]] : []),
      ]);
      assert.deepEqual(req[0]?.args(), [2, 40]);
      assert.deepEqual(req[1]?.args(), ['s', ['n', [1, 2], { w: 1.5 }, true], ['x'], -3, 700, 12345, 2.5, true]);
      assert.deepEqual(req[6]?.args(), ['note']);
      const res = r.relay.responses;
      assert.deepEqual(res.map((f) => [f.method, f.status]), [
        ['add', 'ok'], ['echo', 'ok'], ['fail', 'client_error'], ['fail', 'server_error'], ['slow', 'ok'], ['slow', 'ok'],
        ...(o.multiplexed ? [['hello', 'ok']] : []),
      ]);
      // The server saw the relay's seqids (the slow pair answered in reverse).
      assert.deepEqual(res.map((f) => f.requestId), o.multiplexed ? [120, 121, 122, 123, 125, 124, 127] : [120, 121, 122, 123, 125, 124]);
      assert.deepEqual(r.server.calls.map((c) => c.method).slice(0, 4), ['add', 'echo', 'fail', 'fail']);

      // What the client sent, decoded again split at every byte, gives the same frames.
      const all = Buffer.concat(r.relay.received);
      for (let i = 0; i <= all.length; i += 3) {
        const codec = thriftCodec.createConnectionCodec({ maxFrameBytes: MAX });
        const out: RpcFrame[] = [];
        codec.decode(all.subarray(0, i), out);
        codec.decode(all.subarray(i), out);
        assert.deepEqual(out.map((f) => f.bytes), req.map((f) => f.bytes), `split at ${i}`);
      }
      assert.deepEqual(r.client.errors, []);
      await close(r);
    });

    it(`the client reads local replies as TApplicationException of the right type (${label(o)})`, async () => {
      const statuses: Record<string, RpcLocalStatus> = { add: 'no_route', slow: 'timeout', echo: 'bad_request', fire: 'no_route' };
      const r = await rig(o, 1, (f) => statuses[f.method]);
      const { calc } = r.client;
      const appError = (type: number, message: string) => (e: Error): boolean => {
        assert.equal(e.name, 'TApplicationException');
        assert.equal((e as Error & { type: number }).type, type);
        assert.equal(e.message, message);
        return true;
      };
      await assert.rejects(calc.add(1, 2), appError(1, 'weft: no_route for add'));
      await assert.rejects(calc.slow(1, 2), appError(6, 'weft: timeout for slow'));
      await assert.rejects(calc.echo('s', {}, [], 0, 0, 0, 0, false), appError(7, 'weft: bad_request for echo'));
      await calc.fire('dropped');
      // A routed call on the same connection still works after local replies (and the oneway got none).
      await assert.rejects(calc.fail('w', 1));
      assert.deepEqual(r.server.calls.map((c) => c.method), ['fail']);
      assert.deepEqual(r.client.errors, []);
      await close(r);
    });
  }
});

describe('thrift codec with THeader and the real thrift server', () => {
  for (const protocol of ['binary', 'compact'] as const) {
    it(`forwards THeader calls with rewritten seqid and added headers the real server reads (${protocol})`, async () => {
      const server = await startThriftServer({ transport: 'buffered', protocol: 'header' });
      const sock = net.connect(server.port, '127.0.0.1');
      try {
        await new Promise<void>((resolve) => sock.once('connect', resolve));
        const c = { transport: 'header', protocol } as const;
        const down = thriftCodec.createConnectionCodec({ maxFrameBytes: MAX });
        const up = thriftCodec.createConnectionCodec({ maxFrameBytes: MAX });
        const reqs: RpcFrame[] = [];
        down.decode(Buffer.concat([addCall(c, 3, 20, 22), addCall(c, 4, 1, 2)]), reqs);
        assert.deepEqual(reqs.map((f) => [f.method, f.requestId, f.args()]), [['add', 3, [20, 22]], ['add', 4, [1, 2]]]);
        assert.deepEqual(reqs[0]?.headers, THEADER_HEADERS);
        // Seqid 200 grows the compact varint; the new header is added to the THeader block.
        for (const [i, f] of reqs.entries()) sock.write(up.rewriteRequest(f, { requestId: 200 + i, setHeaders: new Map([['colour', 'blue']]) }));
        const replies: RpcFrame[] = [];
        await new Promise<void>((resolve) => {
          sock.on('data', (chunk: Buffer) => {
            up.decode(chunk, replies);
            if (replies.length === 2) resolve();
          });
        });
        assert.deepEqual(replies.map((f) => [f.kind, f.method, f.requestId, f.status, f.args()]), [
          ['response', 'add', 200, 'ok', [42]],
          ['response', 'add', 201, 'ok', [3]],
        ]);
        // The library's server answers THeader calls handled asynchronously without THeader (it flushes after the
        // read loop moved on); whatever it wrote, the reply maps back to the caller's seqid.
        const back = down.rewriteResponse(replies[0] as RpcFrame, 3);
        const again: RpcFrame[] = [];
        thriftCodec.createConnectionCodec({ maxFrameBytes: MAX }).decode(back, again);
        assert.deepEqual([again[0]?.requestId, again[0]?.args()], [3, [42]]);
      } finally {
        sock.destroy();
        await server.close();
      }
    });
  }
});
