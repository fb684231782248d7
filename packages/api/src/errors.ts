/** A configuration error that names the field path where it was found (e.g. `static_resources.listeners[0].name`). */
export class ConfigError extends Error {
  readonly code = 'WEFT_ERR_CONFIG';
  constructor(
    readonly path: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(path ? `${path}: ${reason}` : reason, options);
    this.name = 'ConfigError';
  }
}

/** Joins a field path: `joinPath('a.b', 'c')` → `a.b.c`, `joinPath('a', 3)` → `a[3]`. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base ? `${base}.${key}` : key;
}
