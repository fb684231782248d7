import { ConfigError, joinPath } from '@weft/api/lite';
import type { LayeredRuntime__Output } from '@weft/api/envoy/envoy/config/bootstrap/v3/LayeredRuntime.js';
import type { Runtime } from '../interfaces/runtime.js';
import { structToJson, type JsonValue } from '../config/struct.js';

/**
 * Envoy's layered runtime: static layers from the bootstrap, plus an admin layer (later layers override earlier).
 * Keys are dotted paths; nested Struct objects are flattened (`{a: {b: 1}}` → `a.b`).
 */
export class LayeredRuntime implements Runtime {
  private readonly layers: Array<Map<string, JsonValue>> = [];
  private readonly admin = new Map<string, JsonValue>();

  static fromBootstrap(cfg: LayeredRuntime__Output | null, path: string): LayeredRuntime {
    const rt = new LayeredRuntime();
    if (!cfg) return rt;
    cfg.layers.forEach((layer, i) => {
      const p = joinPath(joinPath(path, 'layers'), i);
      if (layer.layer_specifier === 'static_layer') rt.layers.push(flatten(structToJson(layer.static_layer)));
      else if (layer.layer_specifier === 'admin_layer') rt.layers.push(rt.admin);
      else throw new ConfigError(joinPath(p, layer.layer_specifier ?? 'layer_specifier'), 'only static_layer and admin_layer are supported');
    });
    return rt;
  }

  /** `/runtime_modify` writes here. */
  setAdminValue(key: string, value: string | undefined): void {
    if (value === undefined) this.admin.delete(key);
    else this.admin.set(key, value);
  }

  snapshot(): Record<string, JsonValue> {
    const out: Record<string, JsonValue> = {};
    for (const layer of this.layers) for (const [k, v] of layer) out[k] = v;
    return out;
  }

  private lookup(key: string): JsonValue | undefined {
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const v = (this.layers[i] as Map<string, JsonValue>).get(key);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  getNumber(key: string, defaultValue: number): number {
    const v = this.lookup(key);
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
    return defaultValue;
  }

  getBoolean(key: string, defaultValue: boolean): boolean {
    const v = this.lookup(key);
    if (typeof v === 'boolean') return v;
    if (v === 'true') return true;
    if (v === 'false') return false;
    return defaultValue;
  }

  featureEnabled(key: string, numerator: number, denominator: number, random: number): boolean {
    let num = numerator;
    let den = denominator;
    const v = this.lookup(key);
    if (typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v))) {
      // A plain number is a percentage of the default denominator, as Envoy's runtime integer override.
      num = Number(v);
    } else if (v && typeof v === 'object' && !Array.isArray(v)) {
      const n = v['numerator'];
      const d = v['denominator'];
      if (typeof n === 'number') num = n;
      if (d === 'HUNDRED') den = 100;
      else if (d === 'TEN_THOUSAND') den = 10_000;
      else if (d === 'MILLION') den = 1_000_000;
    }
    return random % den < num;
  }
}

function flatten(obj: Record<string, JsonValue>, prefix = '', out = new Map<string, JsonValue>()): Map<string, JsonValue> {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    // FractionalPercent-shaped objects stay whole so featureEnabled can read them.
    if (v && typeof v === 'object' && !Array.isArray(v) && !('numerator' in v)) flatten(v, key, out);
    else out.set(key, v);
  }
  return out;
}
