import type protobuf from 'protobufjs';
import { envoyType } from './proto-root.js';

/** toObject options matching the generated `__Output` types (proto-loader: keepCase, longs/enums as String, defaults, oneofs, json). */
export const OUTPUT_OPTIONS: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: true,
  arrays: true,
  objects: false,
  oneofs: true,
  json: true,
};

/** Decodes protobuf bytes into the `__Output` shape of `typeName`. */
export function decodeMessage<T>(typeName: string, bytes: Uint8Array): T {
  const type = envoyType(typeName);
  return type.toObject(type.decode(bytes), OUTPUT_OPTIONS) as T;
}

/** Encodes an object already in protobufjs form (snake_case fields, Any as {type_url, value}) into bytes. */
export function encodeMessage(typeName: string, value: object): Uint8Array {
  const type = envoyType(typeName);
  return type.encode(type.fromObject(value)).finish();
}

/**
 * Normalises a protobufjs-form object to the `__Output` shape by a round trip through the wire format, so that
 * config from files and config from xDS have exactly the same shape and defaults.
 */
export function normalizeMessage<T>(typeName: string, value: object): T {
  return decodeMessage<T>(typeName, encodeMessage(typeName, value));
}
