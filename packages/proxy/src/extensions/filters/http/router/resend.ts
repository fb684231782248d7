/**
 * Methods RFC 9110 §9.2.2 defines as idempotent: a request with one of them that went out on a reused keep-alive
 * connection closed before any response byte may be re-sent automatically (RFC 9112 §9.3.1), as Go's net/http does.
 */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

export function isIdempotentMethod(method: string): boolean {
  return IDEMPOTENT.has(method);
}
