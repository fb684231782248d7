import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '@weft/api/lite';
import type { Http2ProtocolOptions__Output } from '@weft/api/envoy/envoy/config/core/v3/Http2ProtocolOptions.js';
import { StatsStore } from '../../observability/stats-store.js';
import * as F from './frames.js';
import { compileHttp2Options, DEFAULT_FLOOD_LIMITS } from './options.js';
import { FLOOD_INBOUND_EMPTY, FLOOD_INBOUND_PRIORITY, FLOOD_INBOUND_WINDOW_UPDATE, FLOOD_NONE, FLOOD_OUTBOUND, FLOOD_OUTBOUND_CONTROL, ProtocolConstraints } from './protocol-constraints.js';
import { http2CodecStats } from './stats.js';
import { WriteBuffer } from './write-buffer.js';

function constraints(limits: Partial<typeof DEFAULT_FLOOD_LIMITS> = {}): { pc: ProtocolConstraints; stat: (name: string) => number } {
  const store = new StatsStore();
  const pc = new ProtocolConstraints({ ...DEFAULT_FLOOD_LIMITS, ...limits }, http2CodecStats(store));
  return { pc, stat: (name) => store.counter(`http2.${name}`).value() };
}

test('outbound frames count until their write completes: the limit is on frames in flight, counted once', () => {
  const { pc, stat } = constraints({ maxOutboundFrames: 10 });
  assert.equal(pc.queue(6, 0), FLOOD_NONE);
  assert.equal(pc.queue(4, 0), FLOOD_NONE); // 10 in flight: at the limit
  pc.written(); // the first write (6 frames) completed
  assert.equal(pc.queue(6, 0), FLOOD_NONE);
  assert.equal(pc.queue(1, 0), FLOOD_OUTBOUND); // 11 in flight
  assert.equal(pc.queue(100, 0), FLOOD_NONE, 'reported once');
  assert.equal(stat('outbound_flood'), 1);
  assert.equal(stat('outbound_control_flood'), 0);
});

test('PING/SETTINGS acks and RST_STREAM are control frames (GOAWAY, DATA, HEADERS, PING are not)', () => {
  const w = new WriteBuffer();
  F.writePing(w, true, Buffer.alloc(8), 0);
  F.writeSettingsAck(w);
  F.writeRstStream(w, 1, F.CANCEL);
  F.writePing(w, false, Buffer.alloc(8), 0);
  F.writeSettings(w, []);
  F.writeGoaway(w, 0, 0);
  F.writeData(w, 1, Buffer.from('x'), 0, 1, false);
  F.writeHeaderBlock(w, 1, Buffer.alloc(20000), 16384, true); // HEADERS + CONTINUATION
  assert.deepEqual([w.frames, w.controlFrames, w.dataFrames], [9, 3, 1]);
  const { pc, stat } = constraints({ maxOutboundControlFrames: 3 });
  assert.equal(pc.queue(w.frames, w.controlFrames), FLOOD_NONE);
  assert.equal(pc.queue(1, 1), FLOOD_OUTBOUND_CONTROL);
  assert.equal(stat('outbound_control_flood'), 1);
});

test('consecutive empty DATA/HEADERS/CONTINUATION frames without END_STREAM; a non-empty or ending frame resets the run', () => {
  const { pc, stat } = constraints();
  assert.equal(pc.inbound(F.HEADERS, F.FLAG_END_HEADERS, 10, 0, 0), FLOOD_NONE);
  assert.equal(pc.inbound(F.DATA, 0, 0, 0, 0), FLOOD_NONE); // 1 empty: allowed
  assert.equal(pc.inbound(F.DATA, 0, 5, 0, 0), FLOOD_NONE);
  assert.equal(pc.inbound(F.DATA, 0, 0, 0, 0), FLOOD_NONE);
  assert.equal(pc.inbound(F.DATA, F.FLAG_END_STREAM, 0, 0, 0), FLOOD_NONE, 'END_STREAM is not empty');
  assert.equal(pc.inbound(F.DATA, F.FLAG_PADDED, 4, 4, 0), FLOOD_NONE, 'padding only: empty (1)');
  assert.equal(pc.inbound(F.PING, 0, 8, 0, 0), FLOOD_NONE, 'other frames do not break the run');
  assert.equal(pc.inbound(F.CONTINUATION, F.FLAG_END_STREAM, 0, 0, 0), FLOOD_INBOUND_EMPTY, 'CONTINUATION carries no END_STREAM');
  assert.equal(stat('inbound_empty_frames_flood'), 1);
  const zero = constraints({ maxConsecutiveEmptyFrames: 0 });
  assert.equal(zero.pc.inbound(F.HEADERS, 0, 0, 0, 0), FLOOD_INBOUND_EMPTY);
});

test('PRIORITY frames: at most max_inbound_priority_frames_per_stream x (1 + opened streams)', () => {
  const { pc, stat } = constraints({ maxPriorityFramesPerStream: 2 });
  for (let i = 0; i < 2; i++) assert.equal(pc.inbound(F.PRIORITY, 0, 5, 0, 0), FLOOD_NONE);
  pc.openedStreams++;
  for (let i = 0; i < 2; i++) assert.equal(pc.inbound(F.PRIORITY, 0, 5, 0, 0), FLOOD_NONE);
  assert.equal(pc.inbound(F.PRIORITY, 0, 5, 0, 0), FLOOD_INBOUND_PRIORITY);
  assert.equal(stat('inbound_priority_frames_flood'), 1);
});

test('WINDOW_UPDATE frames: at most 5 + 2 x (opened streams + per-DATA-frame limit x DATA frames sent)', () => {
  const { pc, stat } = constraints({ maxWindowUpdatesPerDataFrame: 3 });
  pc.openedStreams = 1;
  // 5 + 2 * (1 + 3 * 2) = 19 with 2 DATA frames sent
  for (let i = 0; i < 19; i++) assert.equal(pc.inbound(F.WINDOW_UPDATE, 0, 4, 0, 2), FLOOD_NONE);
  assert.equal(pc.inbound(F.WINDOW_UPDATE, 0, 4, 0, 2), FLOOD_INBOUND_WINDOW_UPDATE);
  assert.equal(stat('inbound_window_update_frames_flood'), 1);
  const none = constraints();
  for (let i = 0; i < 5; i++) assert.equal(none.pc.inbound(F.WINDOW_UPDATE, 0, 4, 0, 0), FLOOD_NONE);
  assert.equal(none.pc.inbound(F.WINDOW_UPDATE, 0, 4, 0, 0), FLOOD_INBOUND_WINDOW_UPDATE);
});

test('the five flood limits are configurable; out-of-range values are refused with their field path', () => {
  const o = (fields: Record<string, { value: number }>): Http2ProtocolOptions__Output => ({ custom_settings_parameters: [], ...fields }) as unknown as Http2ProtocolOptions__Output;
  assert.equal(compileHttp2Options(o({}), 'p').flood, DEFAULT_FLOOD_LIMITS);
  assert.deepEqual(
    compileHttp2Options(
      o({ max_outbound_frames: { value: 50 }, max_outbound_control_frames: { value: 7 }, max_consecutive_inbound_frames_with_empty_payload: { value: 0 }, max_inbound_priority_frames_per_stream: { value: 0 }, max_inbound_window_update_frames_per_data_frame_sent: { value: 2 } }),
      'p',
    ).flood,
    { maxOutboundFrames: 50, maxOutboundControlFrames: 7, maxConsecutiveEmptyFrames: 0, maxPriorityFramesPerStream: 0, maxWindowUpdatesPerDataFrame: 2 },
  );
  for (const field of ['max_outbound_frames', 'max_outbound_control_frames', 'max_inbound_window_update_frames_per_data_frame_sent']) {
    assert.throws(
      () => compileHttp2Options(o({ [field]: { value: 0 } }), 'hcm.http2_protocol_options'),
      (e: unknown) => e instanceof ConfigError && e.message.includes(`hcm.http2_protocol_options.${field}`),
    );
  }
});
