/**
 * Empties a reused scratch array. `a.length = 0` is not inlined by V8's optimizing compiler: it goes through a
 * runtime call (~40 ns) and drops the backing store, so the next pushes grow it again; popping a few elements is
 * inlined and keeps the capacity. Long arrays are truncated at once.
 */
export function clearArray(a: unknown[]): void {
  if (a.length > 32) {
    a.length = 0;
    return;
  }
  while (a.length !== 0) a.pop();
}
