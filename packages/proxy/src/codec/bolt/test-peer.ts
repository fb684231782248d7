/**
 * Test helper: frames written and read by the real Bolt peer library (sofa-bolt-node, what sofa-rpc-node uses on
 * the wire), loaded from the root devDependencies. Not used by the proxy itself.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface PeerOptions {
  /** 'bolt' (v1) or 'bolt2' (v2). */
  readonly protocolType?: 'bolt' | 'bolt2';
  readonly boltVersion?: number;
  readonly crcEnable?: boolean;
  readonly codecType?: 'hessian2' | 'protobuf';
  /** A protobufjs Root with the service, for codecType 'protobuf'. */
  readonly proto?: object;
}

export interface PeerRequest {
  readonly serverSignature: string;
  readonly methodName: string;
  readonly args: readonly unknown[];
  readonly timeout: number;
  readonly targetAppName?: string;
  readonly requestProps?: Record<string, unknown>;
  readonly oneway?: boolean;
}

export interface PeerDecoded {
  readonly packetId: number;
  readonly packetType: 'request' | 'response' | 'heartbeat' | 'heartbeat_ack';
  readonly data?: {
    readonly methodName?: string;
    readonly serverSignature?: string;
    readonly args?: unknown[];
    readonly error?: Error | null;
    readonly appResponse?: unknown;
  };
  readonly options: { readonly timeout?: number; readonly crcEnable?: boolean; readonly boltVersion?: number };
}

interface BoltProtocol {
  requestEncode(id: number, req: PeerRequest, options: object): Buffer;
  responseEncode(id: number, res: object, options: object): Buffer;
  heartbeatEncode(id: number, hb: object, options: object): Buffer;
  heartbeatAckEncode(id: number, options: object): Buffer;
  decode(buf: Buffer, options: object): PeerDecoded;
}

interface BoltModule {
  setOptions(o: { hessianVersion?: '3.0' | '4.0' }): void;
}

const protocol = require('sofa-bolt-node/lib/protocol') as BoltProtocol;
const bolt = require('sofa-bolt-node') as BoltModule;

function opts(o: PeerOptions): object {
  return { protocolType: o.protocolType ?? 'bolt', codecType: o.codecType ?? 'hessian2', boltVersion: o.boltVersion ?? 1, crcEnable: o.crcEnable ?? false, proto: o.proto };
}

export const SERVICE = 'com.example.EchoService:1.0';

export function peerRequest(id: number, o: PeerOptions = {}, req: Partial<PeerRequest> = {}): Buffer {
  const full: PeerRequest = { serverSignature: SERVICE, methodName: 'echo', args: ['hello', 42], timeout: 3000, ...req };
  return Buffer.from(protocol.requestEncode(id, full, opts(o)));
}

/** A request whose body is written in the final Hessian 2.0 dialect (hessianVersion 4.0). */
export function peerRequestFinalHessian(id: number, o: PeerOptions = {}, req: Partial<PeerRequest> = {}): Buffer {
  bolt.setOptions({ hessianVersion: '4.0' });
  try {
    return peerRequest(id, o, req);
  } finally {
    bolt.setOptions({ hessianVersion: '3.0' });
  }
}

export function peerResponse(id: number, o: PeerOptions = {}, res: object = { appResponse: 'ok', responseProps: null }): Buffer {
  return Buffer.from(protocol.responseEncode(id, res, opts(o)));
}

export function peerHeartbeat(id: number, o: PeerOptions = {}): Buffer {
  return Buffer.from(protocol.heartbeatEncode(id, { timeout: 3000 }, opts(o)));
}

export function peerHeartbeatAck(id: number, o: PeerOptions = {}): Buffer {
  return Buffer.from(protocol.heartbeatAckEncode(id, opts(o)));
}

/** Decodes one whole frame the way sofa-rpc-node does (throws where the real client would drop the connection). */
export function peerDecode(frame: Buffer, finalHessian = false, proto?: object): PeerDecoded {
  if (finalHessian) bolt.setOptions({ hessianVersion: '4.0' });
  try {
    return protocol.decode(frame, { classCache: new Map(), proto });
  } finally {
    if (finalHessian) bolt.setOptions({ hessianVersion: '3.0' });
  }
}

interface HessianEncoderLib {
  encode(value: unknown, version: '2.0'): Buffer;
}

/**
 * A v1 SUCCESS response whose SofaResponse body has `isError`/`errorMsg` set, as a Java SOFARPC server reports a
 * framework failure (sofa-bolt-node itself always turns isError into SERVER_EXCEPTION, so it is built by hand).
 */
export function sofaErrorResponse(id: number, errorMsg: string, finalHessian = false): Buffer {
  const lib = require(finalHessian ? 'hessian.js' : 'hessian.js-1') as HessianEncoderLib;
  const className = Buffer.from('com.alipay.sofa.rpc.core.response.SofaResponse');
  const content = lib.encode({
    $class: 'com.alipay.sofa.rpc.core.response.SofaResponse',
    $: { isError: { $class: 'boolean', $: true }, errorMsg: { $class: 'java.lang.String', $: errorMsg }, appResponse: null, responseProps: null },
  }, '2.0');
  const head = Buffer.alloc(20);
  head[0] = 1; // v1
  head.writeUInt16BE(2, 2); // response
  head[4] = 1;
  head.writeUInt32BE(id, 5);
  head[9] = 1; // hessian2
  head.writeUInt16BE(className.length, 12);
  head.writeUInt32BE(content.length, 16);
  return Buffer.concat([head, className, content]);
}

interface ProtobufRoot {
  fromJSON(json: object): object;
}

/** A protobufjs Root with `com.example.EchoService.echo(EchoRequest) returns (EchoResponse)`, for protobuf frames. */
export function echoProto(): object {
  const { Root } = require('protobufjs') as { Root: ProtobufRoot };
  return Root.fromJSON({
    nested: {
      com: { nested: { example: { nested: {
        EchoService: { methods: { echo: { requestType: 'EchoRequest', responseType: 'EchoResponse' } } },
        EchoRequest: { fields: { name: { type: 'string', id: 1 } } },
        EchoResponse: { fields: { message: { type: 'string', id: 1 } } },
      } } } },
    },
  });
}
