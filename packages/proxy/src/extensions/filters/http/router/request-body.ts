import type { HeaderMap } from '../../../../interfaces/header-map.js';
import type { UpstreamStream } from '../../../../interfaces/upstream-stream.js';

const EMPTY = Buffer.alloc(0);

/** How far one attempt has got through the request body. */
export interface BodyCursor {
  sentChunks: number;
}

/**
 * The downstream request body as the router holds it: chunks not yet sent on the current attempt, or every chunk
 * while a retry may have to replay the request; plus trailers and whether the request has ended.
 */
export class RequestBody {
  private chunks: Buffer[] = [];
  /** Bytes held. */
  bytes = 0;
  trailers: HeaderMap | undefined;
  ended = false;
  /** Some body bytes went upstream and were not kept: the request can no longer be replayed. */
  released = false;

  get isEmpty(): boolean {
    return this.chunks.length === 0;
  }

  /** Nothing but the head: the upstream request can end with its headers. */
  get headOnly(): boolean {
    return this.ended && this.chunks.length === 0 && this.trailers === undefined;
  }

  hold(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
  }

  /**
   * Writes to `stream` what `cursor` has not sent; with `keep` false (no retry can replay it) the sent chunks are
   * dropped. Returns whether the stream is still below its watermark, and whether the request is now fully sent.
   */
  writeTo(stream: UpstreamStream, cursor: BodyCursor, keep: boolean): { ok: boolean; complete: boolean } {
    const chunks = this.chunks;
    let ok = true;
    let endSent = false;
    while (cursor.sentChunks < chunks.length) {
      const chunk = chunks[cursor.sentChunks++] as Buffer;
      const last = cursor.sentChunks === chunks.length && this.ended && this.trailers === undefined;
      ok = stream.encodeData(chunk, last) && ok;
      endSent = last;
    }
    if (!keep && chunks.length !== 0) {
      this.released = true;
      this.clear();
      cursor.sentChunks = 0;
    }
    if (!this.ended) return { ok, complete: false };
    if (this.trailers !== undefined) stream.encodeTrailers(this.trailers);
    else if (!endSent) stream.encodeData(EMPTY, true);
    return { ok, complete: true };
  }

  clear(): void {
    this.chunks = [];
    this.bytes = 0;
  }
}
