import { hessianEncoder } from '@weft/proxy/codec/dubbo/hessian';

/** A hand-built Dubbo request, for what the JS clients cannot send (oneway calls, chosen ids, raw pipelining). */
export interface DubboRequestSpec {
  readonly id: number | bigint;
  readonly service: string;
  readonly method: string;
  readonly version?: string;
  /** Arguments with their JVM type descriptors, e.g. `[['Ljava/lang/String;', 'x'], ['I', 1]]`. */
  readonly args?: readonly (readonly [string, unknown])[];
  readonly attachments?: Readonly<Record<string, unknown>>;
  readonly oneway?: boolean;
}

/** A Hessian 2 Dubbo request frame laid out as Java's DubboCodec writes it (body via hessian.js). */
export function dubboRequestFrame(spec: DubboRequestSpec): Buffer {
  const enc = hessianEncoder();
  const args = spec.args ?? [];
  enc.write('2.0.2').write(spec.service).write(spec.version ?? '').write(spec.method).write(args.map(([t]) => t).join(''));
  for (const [, value] of args) enc.write(value);
  enc.write({ $class: 'java.util.HashMap', $: { path: spec.service, interface: spec.service, ...(spec.version ? { version: spec.version } : {}), ...spec.attachments } });
  return dubboFrame(spec.oneway ? 0x82 : 0xc2, 0, spec.id, enc.get());
}

/** A two-way heartbeat event request (null body). */
export function dubboHeartbeatFrame(id: number | bigint): Buffer {
  return dubboFrame(0xe2, 0, id, Buffer.of(0x4e));
}

/** Header + body: flags (request 0x80, two-way 0x40, event 0x20, serialization 2), status, 64-bit id. */
export function dubboFrame(flags: number, status: number, id: number | bigint, body: Buffer): Buffer {
  const head = Buffer.alloc(16);
  head.writeUInt16BE(0xdabb, 0);
  head[2] = flags;
  head[3] = status;
  head.writeBigUInt64BE(BigInt(id), 4);
  head.writeUInt32BE(body.length, 12);
  return Buffer.concat([head, body]);
}
