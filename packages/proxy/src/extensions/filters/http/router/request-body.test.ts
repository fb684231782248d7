import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeaderMap } from '../../../../interfaces/header-map.js';
import type { UpstreamStream } from '../../../../interfaces/upstream-stream.js';
import { RequestBody } from './request-body.js';

/** Records what the body writes; `full` makes encodeData report the upstream above its watermark. */
function recorder(full = false): { stream: UpstreamStream; calls: string[] } {
  const calls: string[] = [];
  const stream = {
    protocol: 'HTTP/1.1',
    localAddress: '',
    encodeHeaders: () => calls.push('headers'),
    encodeData: (d: Buffer, end: boolean) => {
      calls.push(`data:${d.toString()}${end ? ':end' : ''}`);
      return !full;
    },
    encodeTrailers: (t: HeaderMap) => calls.push(`trailers:${t.get('x') ?? ''}`),
    readDisable: () => undefined,
    reset: () => undefined,
  } as unknown as UpstreamStream;
  return { stream, calls };
}

describe('RequestBody', () => {
  it('sends only what an attempt has not sent and ends with the last chunk', () => {
    const body = new RequestBody();
    const cursor = { sentChunks: 0 };
    const { stream, calls } = recorder();
    body.hold(Buffer.from('a'));
    assert.deepEqual(body.writeTo(stream, cursor, true), { ok: true, complete: false });
    body.hold(Buffer.from('b'));
    body.ended = true;
    assert.deepEqual(body.writeTo(stream, cursor, true), { ok: true, complete: true });
    assert.deepEqual(calls, ['data:a', 'data:b:end']);
    assert.equal(body.bytes, 2, 'kept for a retry');
  });

  it('replays everything to a new attempt while kept, and drops sent chunks when no retry can use them', () => {
    const body = new RequestBody();
    body.hold(Buffer.from('x'));
    body.hold(Buffer.from('y'));
    body.ended = true;
    const first = recorder();
    body.writeTo(first.stream, { sentChunks: 0 }, true);
    const second = recorder();
    body.writeTo(second.stream, { sentChunks: 0 }, false);
    assert.deepEqual(second.calls, ['data:x', 'data:y:end']);
    assert.equal(body.bytes, 0);
    assert.ok(body.isEmpty);
  });

  it('ends with trailers, or with an empty final write when the end came after the data', () => {
    const withTrailers = new RequestBody();
    withTrailers.hold(Buffer.from('p'));
    withTrailers.trailers = HeaderMap.from([['x', '1']]);
    withTrailers.ended = true;
    const a = recorder();
    withTrailers.writeTo(a.stream, { sentChunks: 0 }, false);
    assert.deepEqual(a.calls, ['data:p', 'trailers:1']);

    const lateEnd = new RequestBody();
    const cursor = { sentChunks: 0 };
    const b = recorder(true);
    lateEnd.hold(Buffer.from('q'));
    assert.deepEqual(lateEnd.writeTo(b.stream, cursor, true), { ok: false, complete: false });
    lateEnd.ended = true;
    assert.deepEqual(lateEnd.writeTo(b.stream, cursor, true), { ok: true, complete: true });
    assert.deepEqual(b.calls, ['data:q', 'data::end']);
  });

  it('is head-only when it ended with nothing held', () => {
    const body = new RequestBody();
    assert.equal(body.headOnly, false);
    body.ended = true;
    assert.equal(body.headOnly, true);
  });
});
