import { ConfigError, joinPath } from '@weft/api/lite';
import type { HeaderValueOption__Output } from '@weft/api/envoy/envoy/config/core/v3/HeaderValueOption.js';
import type { HeaderMap } from '../interfaces/header-map.js';
import { compileHeaderFormat, type HeaderFormatContext, type HeaderFormatter } from './header-formatter.js';
import { clearArray } from '../server/clear-array.js';

export const APPEND_IF_EXISTS_OR_ADD = 0;
export const ADD_IF_ABSENT = 1;
export const OVERWRITE_IF_EXISTS_OR_ADD = 2;
export const OVERWRITE_IF_EXISTS = 3;

const ACTIONS: Readonly<Record<string, number>> = {
  APPEND_IF_EXISTS_OR_ADD,
  ADD_IF_ABSENT,
  OVERWRITE_IF_EXISTS_OR_ADD,
  OVERWRITE_IF_EXISTS,
};

export class HeaderToAdd {
  constructor(
    readonly name: string,
    readonly formatter: HeaderFormatter,
    readonly action: number,
    readonly keepEmptyValue: boolean,
  ) {}
}

// Scratch space for one level's evaluation: Envoy formats every value against the headers as they were before any
// add/overwrite of the level, then overwrites, then adds. Reused across calls (mutations never nest).
const overwriteNames: string[] = [];
const overwriteValues: string[] = [];
const addNames: string[] = [];
const addValues: string[] = [];

/** One level of `*_headers_to_add` / `*_headers_to_remove` (route, virtual host, route config or weighted cluster). */
export class HeaderMutation {
  static readonly EMPTY = new HeaderMutation([], []);

  constructor(
    readonly toAdd: readonly HeaderToAdd[],
    readonly toRemove: readonly string[],
  ) {}

  get isEmpty(): boolean {
    return this.toAdd.length === 0 && this.toRemove.length === 0;
  }

  /** Envoy HeaderParser::evaluateHeaders: remove, then format all values, then overwrite, then add. */
  apply(headers: HeaderMap, ctx: HeaderFormatContext): void {
    for (const name of this.toRemove) headers.remove(name);
    const adds = this.toAdd;
    if (adds.length === 0) return;
    clearArray(overwriteNames);
    clearArray(overwriteValues);
    clearArray(addNames);
    clearArray(addValues);
    for (let i = 0; i < adds.length; i++) {
      const h = adds[i] as HeaderToAdd;
      const value = h.formatter.format(ctx);
      if (value === '' && !h.keepEmptyValue) continue;
      switch (h.action) {
        case APPEND_IF_EXISTS_OR_ADD:
          addNames.push(h.name);
          addValues.push(value);
          break;
        case ADD_IF_ABSENT:
          if (!headers.has(h.name)) {
            addNames.push(h.name);
            addValues.push(value);
          }
          break;
        case OVERWRITE_IF_EXISTS:
          if (!headers.has(h.name)) break;
          overwriteNames.push(h.name);
          overwriteValues.push(value);
          break;
        default:
          overwriteNames.push(h.name);
          overwriteValues.push(value);
      }
    }
    for (let i = 0; i < overwriteNames.length; i++) headers.set(overwriteNames[i] as string, overwriteValues[i] as string);
    for (let i = 0; i < addNames.length; i++) headers.add(addNames[i] as string, addValues[i] as string);
  }
}

const INVALID_NAME = /[\0\r\n]|^$/;
const INVALID_VALUE = /[\0\r\n]/;
const MAX_HEADER_BYTES = 16384;

/** Envoy refuses to add, modify or remove pseudo-headers and Host through these lists. */
function isProtectedHeader(lowerName: string): boolean {
  return lowerName.startsWith(':') || lowerName === 'host';
}

/**
 * Compiles one level. `addPath` / `removePath` are the field paths of the two lists (e.g.
 * `virtual_hosts[0].request_headers_to_add`), used in ConfigErrors.
 */
export function compileHeaderMutation(
  toAdd: readonly HeaderValueOption__Output[],
  toRemove: readonly string[],
  addPath: string,
  removePath: string,
): HeaderMutation {
  if (toAdd.length === 0 && toRemove.length === 0) return HeaderMutation.EMPTY;
  const adds = toAdd.map((o, i) => compileHeaderToAdd(o, joinPath(addPath, i)));
  const removes = toRemove.map((name, i) => {
    const p = joinPath(removePath, i);
    if (INVALID_NAME.test(name)) throw new ConfigError(p, 'is not a valid header name');
    const lower = name.toLowerCase();
    if (isProtectedHeader(lower)) throw new ConfigError(p, ':-prefixed or host headers may not be removed');
    return lower;
  });
  return new HeaderMutation(adds, removes);
}

/** Compiles one HeaderValueOption found at `path` (also used by the header_mutation filter's rules). */
export function compileHeaderToAdd(o: HeaderValueOption__Output, path: string): HeaderToAdd {
  const h = o.header;
  if (!h) throw new ConfigError(joinPath(path, 'header'), 'is required');
  const keyPath = joinPath(path, 'header.key');
  if (INVALID_NAME.test(h.key) || h.key.length > MAX_HEADER_BYTES) throw new ConfigError(keyPath, 'is not a valid header name');
  const name = h.key.toLowerCase();
  if (isProtectedHeader(name)) throw new ConfigError(keyPath, ':-prefixed or host headers may not be modified');
  let value = h.value;
  if (h.raw_value.length > 0) {
    if (value !== '') throw new ConfigError(joinPath(path, 'header'), 'only one of value or raw_value may be set');
    value = h.raw_value.toString('latin1');
  }
  const valuePath = joinPath(path, h.raw_value.length > 0 ? 'header.raw_value' : 'header.value');
  if (INVALID_VALUE.test(value) || value.length > MAX_HEADER_BYTES) throw new ConfigError(valuePath, 'is not a valid header value');
  let action = ACTIONS[o.append_action];
  if (action === undefined) throw new ConfigError(joinPath(path, 'append_action'), `unknown append action ${o.append_action}`);
  if (o.append) {
    if (action !== APPEND_IF_EXISTS_OR_ADD) throw new ConfigError(joinPath(path, 'append'), 'both append and append_action are set');
    action = o.append.value ? APPEND_IF_EXISTS_OR_ADD : OVERWRITE_IF_EXISTS_OR_ADD;
  }
  return new HeaderToAdd(name, compileHeaderFormat(value, valuePath), action, o.keep_empty_value);
}
