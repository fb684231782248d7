// The RPC bench server's per-connection work: every two-way request frame is answered with a pre-encoded response
// whose request id is patched in, heartbeats with a heartbeat answer, oneway requests not at all. All the answers to
// one incoming chunk go out in one socket.write.
import { FrameError, frameKind, frameLength, heartbeatResponse, readId, writeId } from './rpc-frames.js';

export class EchoResponder {
  /** `send(buf)` writes to the peer; `fail(err)` is called once on a broken stream (then nothing more is read). */
  constructor(protocol, response, send, fail) {
    this.protocol = protocol;
    this.response = response;
    this.heartbeat = heartbeatResponse(protocol);
    this.send = send;
    this.fail = fail;
    this.pending = null;
    this.broken = false;
    // Reused across chunks: the offsets and templates of the answers to the current chunk.
    this.ids = [];
    this.templates = [];
    this.requests = 0;
  }

  /** Consumes one chunk from the peer. */
  onData(chunk) {
    if (this.broken) return;
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    const { protocol, ids, templates } = this;
    let off = 0;
    let outLen = 0;
    try {
      for (;;) {
        const len = frameLength(buf, off, protocol, false);
        if (len < 0 || off + len > buf.length) break;
        const kind = frameKind(buf, off, protocol);
        const tpl = kind === 'request' ? this.response : kind === 'heartbeat' ? this.heartbeat : null;
        if (kind === 'request') this.requests++;
        if (tpl) {
          ids.push(readId(buf, off, protocol));
          templates.push(tpl);
          outLen += tpl.length;
        }
        off += len;
      }
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      this.broken = true;
      this.fail(err);
      return;
    }
    // Keep a partial frame for the next chunk (copied: `chunk` belongs to the socket's read buffer pool).
    this.pending = off < buf.length ? Buffer.from(buf.subarray(off)) : null;
    if (outLen === 0) return;
    const out = Buffer.allocUnsafe(outLen);
    let at = 0;
    for (let i = 0; i < ids.length; i++) {
      const tpl = templates[i];
      tpl.copy(out, at);
      writeId(out, at, protocol, ids[i]);
      at += tpl.length;
    }
    ids.length = 0;
    templates.length = 0;
    this.send(out);
  }
}
