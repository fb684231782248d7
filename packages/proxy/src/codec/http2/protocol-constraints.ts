import * as F from './frames.js';
import { DEFAULT_FLOOD_LIMITS, type Http2FloodLimits } from './options.js';
import type { Http2CodecStats } from './stats.js';
import { clearArray } from '../../server/clear-array.js';

/** Which limit a connection broke (0: none). */
export const FLOOD_NONE = 0;
export const FLOOD_OUTBOUND = 1;
export const FLOOD_OUTBOUND_CONTROL = 2;
export const FLOOD_INBOUND_EMPTY = 3;
export const FLOOD_INBOUND_PRIORITY = 4;
export const FLOOD_INBOUND_WINDOW_UPDATE = 5;

/** Envoy's details for each (connection termination details / logs). */
export const FLOOD_DETAILS = ['', 'Too many frames in the outbound queue.', 'Too many control frames in the outbound queue.', 'http2.inbound_empty_frames_flood', 'Too many PRIORITY frames', 'Too many WINDOW_UPDATE frames'];

/**
 * Envoy's HTTP/2 flood limits for one connection (ProtocolConstraints): frames queued for the socket but not yet
 * written (all, and PING/SETTINGS acks + RST_STREAM), consecutive empty DATA/HEADERS/CONTINUATION frames, and
 * PRIORITY / WINDOW_UPDATE frames relative to the streams opened and the DATA frames sent. Plain integer counters:
 * a few operations per frame. The first violation is counted once and sticks.
 */
export class ProtocolConstraints {
  /** Frames (and control frames) handed to the socket whose write has not completed. */
  queued = 0;
  queuedControl = 0;
  /** Per socket write still in flight: [frames, control frames, ...], consumed from `head` in write order. */
  private readonly writes: number[] = [];
  private head = 0;
  private consecutiveEmpty = 0;
  private priorityFrames = 0;
  private windowUpdates = 0;
  openedStreams = 0;
  violation = FLOOD_NONE;

  constructor(
    private readonly limits: Http2FloodLimits = DEFAULT_FLOOD_LIMITS,
    private readonly stats?: Http2CodecStats,
  ) {}

  /** A socket write carrying `frames` frames (`control` of them monitored control frames); returns a new violation. */
  queue(frames: number, control: number): number {
    this.queued += frames;
    this.queuedControl += control;
    this.writes.push(frames, control);
    if (this.violation !== FLOOD_NONE) return FLOOD_NONE;
    if (this.queued > this.limits.maxOutboundFrames) return this.violate(FLOOD_OUTBOUND);
    if (this.queuedControl > this.limits.maxOutboundControlFrames) return this.violate(FLOOD_OUTBOUND_CONTROL);
    return FLOOD_NONE;
  }

  /** The oldest write in flight completed. */
  written(): void {
    const w = this.writes;
    if (this.head >= w.length) return;
    this.queued -= w[this.head] as number;
    this.queuedControl -= w[this.head + 1] as number;
    this.head += 2;
    if (this.head === w.length) {
      clearArray(w);
      this.head = 0;
    }
  }

  /**
   * One inbound frame header (before the frame is handled); `padded`: bytes of padding incl. the pad length
   * octet. `outboundData`: DATA frames sent so far. Returns a new violation.
   */
  inbound(type: number, flags: number, length: number, padded: number, outboundData: number): number {
    if (type <= F.HEADERS || type === F.CONTINUATION) {
      // Empty payload and no END_STREAM (CONTINUATION carries none).
      if (length - padded <= 0 && (type === F.CONTINUATION || (flags & F.FLAG_END_STREAM) === 0)) this.consecutiveEmpty++;
      else this.consecutiveEmpty = 0;
    } else if (type === F.PRIORITY) this.priorityFrames++;
    else if (type === F.WINDOW_UPDATE) this.windowUpdates++;
    else return FLOOD_NONE;
    if (this.violation !== FLOOD_NONE) return FLOOD_NONE;
    const l = this.limits;
    if (this.consecutiveEmpty > l.maxConsecutiveEmptyFrames) return this.violate(FLOOD_INBOUND_EMPTY);
    if (this.priorityFrames > l.maxPriorityFramesPerStream * (1 + this.openedStreams)) return this.violate(FLOOD_INBOUND_PRIORITY);
    if (this.windowUpdates > 5 + 2 * (this.openedStreams + l.maxWindowUpdatesPerDataFrame * outboundData)) return this.violate(FLOOD_INBOUND_WINDOW_UPDATE);
    return FLOOD_NONE;
  }

  private violate(kind: number): number {
    this.violation = kind;
    const s = this.stats;
    if (s !== undefined) {
      if (kind === FLOOD_OUTBOUND) s.outboundFlood.inc();
      else if (kind === FLOOD_OUTBOUND_CONTROL) s.outboundControlFlood.inc();
      else if (kind === FLOOD_INBOUND_EMPTY) s.inboundEmptyFramesFlood.inc();
      else if (kind === FLOOD_INBOUND_PRIORITY) s.inboundPriorityFramesFlood.inc();
      else s.inboundWindowUpdateFramesFlood.inc();
    }
    return kind;
  }
}
