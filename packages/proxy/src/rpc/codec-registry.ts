import type { RpcCodec } from '../interfaces/rpc-codec.js';

/**
 * RPC protocols by name (`bolt`, `dubbo`, `thrift`). The RPC proxy finds codecs only here, so rpc/ imports no codec;
 * codecs are registered at startup (extensions/builtin.ts) and tests register their own.
 */
const codecs = new Map<string, RpcCodec>();

export function registerRpcCodec(codec: RpcCodec): void {
  codecs.set(codec.name, codec);
}

/** Removes a codec (tests that register a throwaway one). */
export function unregisterRpcCodec(name: string): void {
  codecs.delete(name);
}

export function getRpcCodec(name: string): RpcCodec | undefined {
  return codecs.get(name);
}

export function rpcCodecNames(): string[] {
  return [...codecs.keys()].sort();
}
