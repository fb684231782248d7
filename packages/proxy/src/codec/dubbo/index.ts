import type { CodecMatch, RpcCodec, RpcCodecOptions, RpcConnectionCodec, RpcFrame, RpcLocalStatus, RpcRewrite } from '../../interfaces/rpc-codec.js';
import { MAGIC_HIGH, MAGIC_LOW } from './constants.js';
import { encodeGoAway, encodeHeartbeat, encodeHeartbeatReply, encodeLocalReply, patchRequestId, rewriteRequest } from './encoder.js';
import { DubboFrameReader } from './frame-reader.js';
import { DubboFrame, DubboResponseFrame } from './frame.js';
import { writeRequestId } from './header.js';
import { HessianScanner } from './hessian-scan.js';

export { DubboFrame, DubboResponseFrame } from './frame.js';
export { LOCAL_REPLY_STATUS } from './encoder.js';
export { STATUS as DUBBO_STATUS, RESPONSE_TYPE as DUBBO_RESPONSE_TYPE } from './constants.js';

/** Dubbo codec state for one connection. */
class DubboConnectionCodec implements RpcConnectionCodec {
  private readonly reader: DubboFrameReader;
  private readonly scan = new HessianScanner();

  constructor(options: RpcCodecOptions) {
    this.reader = new DubboFrameReader(options.maxFrameBytes);
  }

  decode(chunk: Buffer, out: RpcFrame[]): void {
    this.reader.decode(chunk, out);
  }

  rewriteRequest(frame: RpcFrame, rewrite: RpcRewrite): Buffer {
    return rewriteRequest(frame, rewrite, this.scan);
  }

  rewriteResponse(frame: RpcFrame, requestId: number): Buffer {
    return patchRequestId(frame.bytes, requestId);
  }

  rewriteRequestInPlace(frame: RpcFrame, rewrite: RpcRewrite): boolean {
    const set = rewrite.setHeaders;
    if (rewrite.inPlace !== true || (set !== undefined && set.size !== 0) || !(frame instanceof DubboFrame) || frame.backing === undefined) return false;
    writeRequestId(frame.chunk, rewrite.requestId, frame.at);
    return true;
  }

  rewriteResponseInPlace(frame: RpcFrame, requestId: number): boolean {
    if (!(frame instanceof DubboResponseFrame) || frame.backing === undefined) return false;
    writeRequestId(frame.chunk, requestId, frame.at);
    return true;
  }

  encodeLocalReply(request: RpcFrame, status: RpcLocalStatus, message: string): Buffer | undefined {
    return encodeLocalReply(request, status, message);
  }

  encodeHeartbeatReply(heartbeat: RpcFrame): Buffer {
    return encodeHeartbeatReply(heartbeat);
  }

  encodeHeartbeat(requestId: number): Buffer | undefined {
    return encodeHeartbeat(requestId);
  }

  encodeGoAway(): Buffer | undefined {
    return encodeGoAway();
  }

  takePartial(): Buffer {
    return this.reader.takePartial();
  }
}

/** Dubbo over TCP (magic 0xdabb, Hessian 2 bodies). */
export const dubboCodec: RpcCodec = {
  name: 'dubbo',
  match(head: Buffer): CodecMatch {
    if (head.length === 0) return 'need-more';
    if (head[0] !== MAGIC_HIGH) return 'no';
    if (head.length === 1) return 'need-more';
    return head[1] === MAGIC_LOW ? 'yes' : 'no';
  },
  createConnectionCodec(options: RpcCodecOptions): RpcConnectionCodec {
    return new DubboConnectionCodec(options);
  },
};
