// One connection of the RPC load generator: `depth` requests in flight, closed loop. Each response frees its slot
// and the freed slots are refilled with one socket.write per incoming chunk. Request ids encode the slot
// (id = generation * depth + slot), so a response finds its send time without a map.
import { FrameError, frameLength, readId, responseStatus, responseOk, writeId } from './rpc-frames.js';

/** Counters shared by all connections of one run; only responses that arrive while `measuring` is set count. */
export class LoadStats {
  constructor(histogram) {
    this.histogram = histogram;
    this.measuring = false;
    this.ok = 0;
    this.errors = 0;
    this.errorsBy = {};
    this.warmupResponses = 0;
  }

  error(key) {
    this.errors++;
    this.errorsBy[key] = (this.errorsBy[key] ?? 0) + 1;
  }
}

export class PipelinedConnection {
  /**
   * `request`: a complete request frame (its id is overwritten per send); `write(buf)`: sends bytes; `now()`: ms clock.
   */
  constructor({ protocol, request, depth, stats, write, now }) {
    this.protocol = protocol;
    this.request = request;
    this.depth = depth;
    this.stats = stats;
    this.write = write;
    this.now = now;
    this.sentAt = new Float64Array(depth).fill(-1);
    this.idOf = new Uint32Array(depth);
    this.generation = 0;
    // Ids stay below 2^31 (Java peers read them as signed ints).
    this.generations = Math.floor(0x7fffffff / depth);
    this.free = [];
    this.pending = null;
    this.running = false;
    this.broken = null;
  }

  /** Fills every slot. */
  start() {
    this.running = true;
    for (let s = 0; s < this.depth; s++) this.free.push(s);
    this.refill(this.now());
  }

  /** No new requests after this; responses still count. */
  stop() {
    this.running = false;
  }

  /** Requests sent and not answered, and how old the oldest is (ms) at `now`. */
  outstanding(now) {
    let n = 0;
    let oldest = 0;
    for (let s = 0; s < this.depth; s++) {
      if (this.sentAt[s] < 0) continue;
      n++;
      oldest = Math.max(oldest, now - this.sentAt[s]);
    }
    return { n, oldestMs: oldest };
  }

  refill(now) {
    const { free, request, protocol } = this;
    if (!this.running || free.length === 0) return;
    const len = request.length;
    const out = Buffer.allocUnsafe(len * free.length);
    for (let i = 0; i < free.length; i++) {
      const slot = free[i];
      const id = this.generation * this.depth + slot;
      request.copy(out, i * len);
      writeId(out, i * len, protocol, id);
      this.idOf[slot] = id;
      this.sentAt[slot] = now;
    }
    free.length = 0;
    this.generation = (this.generation + 1) % this.generations;
    this.write(out);
  }

  /** Consumes one chunk of responses; returns false once the stream is broken (then the caller closes it). */
  onData(chunk) {
    if (this.broken) return false;
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    const { protocol, stats } = this;
    const now = this.now();
    let off = 0;
    try {
      for (;;) {
        const len = frameLength(buf, off, protocol, true);
        if (len < 0 || off + len > buf.length) break;
        this.onResponse(buf, off, now, stats);
        off += len;
      }
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      this.broken = err;
      stats.error('broken stream');
      return false;
    }
    this.pending = off < buf.length ? Buffer.from(buf.subarray(off)) : null;
    this.refill(now);
    return true;
  }

  onResponse(buf, off, now, stats) {
    const id = readId(buf, off, this.protocol);
    const slot = id % this.depth;
    if (this.sentAt[slot] < 0 || this.idOf[slot] !== id) {
      stats.error('unknown id');
      return;
    }
    const latency = now - this.sentAt[slot];
    this.sentAt[slot] = -1;
    this.free.push(slot);
    if (!stats.measuring) {
      stats.warmupResponses++;
      return;
    }
    if (responseOk(buf, off, this.protocol)) {
      stats.ok++;
      stats.histogram.recordMs(latency);
    } else {
      stats.error(`status ${responseStatus(buf, off, this.protocol)}`);
    }
  }
}
