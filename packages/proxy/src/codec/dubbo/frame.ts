import { RpcProtocolError, type RpcFrame, type RpcResponseStatus } from '../../interfaces/rpc-codec.js';
import { HEADER_BYTES } from './constants.js';
import { hessianDecoder } from './hessian.js';

const NO_HEADERS: ReadonlyMap<string, string> = new Map();
const NO_ARGS: readonly unknown[] = Object.freeze([]);

/**
 * Both frame classes keep where the frame lies: in the read buffer it arrived in (`chunk` at `at`, `size` bytes). The
 * proxy forwards a frame by that range (`backing` at `backingOffset`), so `bytes`, a Buffer view of it, is only made
 * when something asks for it: making a view costs more than the rest of a response's decoding. (No shared base
 * class: V8 constructs derived classes through a slower generic stub.)
 */
function viewOf(chunk: Buffer, at: number, size: number): Buffer {
  return chunk.subarray(at, at + size);
}

/**
 * One Dubbo request (or request event). The decoder fills the fields once; offsets point into `bytes` so the
 * arguments can be decoded later (`args()`) and the attachments re-encoded on rewrite.
 */
export class DubboFrame implements RpcFrame {
  kind: 'request' | 'response' = 'request';
  oneway = false;
  heartbeat = false;
  goAway = false;
  /** Any event frame (heartbeat, read-only or unknown event data). */
  event = false;
  requestId = 0;
  serialization = 0;
  service = '';
  method = '';
  version = '';
  group = '';
  application = '';
  headers: ReadonlyMap<string, string> = NO_HEADERS;
  requestTimeoutMs = 0;
  status: RpcResponseStatus = 'ok';
  badRequest: string | undefined = undefined;
  /** Offsets into `bytes`: first argument, number of arguments, attachments map (-1 when the body has none). */
  argsStart = -1;
  argsCount = 0;
  attachmentsStart = -1;
  private decodedArgs: readonly unknown[] | undefined = undefined;
  private view: Buffer | undefined = undefined;

  constructor(
    /** The buffer the frame was decoded from; it holds the frame at `at`. */
    readonly chunk: Buffer,
    readonly at: number,
    readonly size: number,
    /** `chunk.buffer` (see RpcFrame.backing); set from the start so the field keeps one representation. */
    readonly backing: ArrayBufferLike | undefined,
    /** `chunk.byteOffset + at`. */
    readonly backingOffset: number,
  ) {}

  get bytes(): Buffer {
    return (this.view ??= viewOf(this.chunk, this.at, this.size));
  }

  args(): readonly unknown[] {
    if (this.decodedArgs !== undefined) return this.decodedArgs;
    if (this.kind !== 'request' || this.argsStart < 0) {
      if (this.badRequest !== undefined) throw new RpcProtocolError(`dubbo: arguments unavailable: ${this.badRequest}`);
      return NO_ARGS;
    }
    const count = this.argsCount;
    const out: unknown[] = new Array<unknown>(count);
    try {
      const decoder = hessianDecoder(this.bytes.subarray(HEADER_BYTES));
      decoder.position(this.argsStart - HEADER_BYTES);
      for (let i = 0; i < count; i++) out[i] = decoder.read(false);
    } catch (err) {
      throw new RpcProtocolError(`dubbo: cannot decode arguments: ${(err as Error).message}`, { cause: err });
    }
    this.decodedArgs = out;
    return out;
  }
}

/**
 * A Dubbo response (or response event): only what the proxy reads from a response, so the object a response costs
 * is half a request's. The request-only members are constants on the prototype.
 */
export class DubboResponseFrame implements RpcFrame {
  heartbeat = false;
  /** Any event frame (a heartbeat answer). */
  event = false;
  requestId = 0;
  serialization = 0;
  status: RpcResponseStatus = 'ok';
  /** The status byte. */
  statusCode = 0;
  /** The body response type of an OK response (RESPONSE_TYPE), -1 when absent or unreadable. */
  responseType = -1;
  private view: Buffer | undefined = undefined;

  constructor(
    /** The buffer the frame was decoded from; it holds the frame at `at`. */
    readonly chunk: Buffer,
    readonly at: number,
    readonly size: number,
    /** `chunk.buffer` (see RpcFrame.backing); set from the start so the field keeps one representation. */
    readonly backing: ArrayBufferLike | undefined,
    /** `chunk.byteOffset + at`. */
    readonly backingOffset: number,
  ) {}

  get bytes(): Buffer {
    return (this.view ??= viewOf(this.chunk, this.at, this.size));
  }

  get kind(): 'response' {
    return 'response';
  }
  get oneway(): boolean {
    return false;
  }
  get goAway(): boolean {
    return false;
  }
  get service(): string {
    return '';
  }
  get method(): string {
    return '';
  }
  get version(): string {
    return '';
  }
  get group(): string {
    return '';
  }
  get application(): string {
    return '';
  }
  get headers(): ReadonlyMap<string, string> {
    return NO_HEADERS;
  }
  get requestTimeoutMs(): number {
    return 0;
  }
  get badRequest(): string | undefined {
    return undefined;
  }
  args(): readonly unknown[] {
    return NO_ARGS;
  }
}
