import http from 'node:http';

export interface SimpleResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/**
 * One HTTP/1.1 request with node:http (a real, well-behaved client). With `timeoutMs`, a response not complete by
 * then rejects (naming the path) instead of leaving the caller waiting.
 */
export function request(
  port: number,
  path: string,
  opts: { method?: string; headers?: http.OutgoingHttpHeaders; body?: string | Buffer; agent?: http.Agent | false; host?: string; timeoutMs?: number } = {},
): Promise<SimpleResponse> {
  return new Promise((resolveRaw, rejectRaw) => {
    let timer: NodeJS.Timeout | undefined;
    const resolve = (r: SimpleResponse): void => {
      clearTimeout(timer);
      resolveRaw(r);
    };
    const reject = (err: Error): void => {
      clearTimeout(timer);
      rejectRaw(err);
    };
    const req = http.request(
      { host: opts.host ?? '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers, agent: opts.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (opts.timeoutMs !== undefined) {
      const message = `${opts.method ?? 'GET'} ${path} on port ${port}: no complete response within ${opts.timeoutMs} ms`;
      timer = setTimeout(() => {
        reject(new Error(message));
        req.destroy();
      }, opts.timeoutMs);
    }
    req.end(opts.body);
  });
}
