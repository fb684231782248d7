import { request } from 'node:http';

export const DEFAULT_CONTROL_PLANE = '127.0.0.1:15014';

/** A control-plane debug API failure with the message the CLI prints. */
export class ControlPlaneError extends Error {}

/** GETs a JSON document from the control plane's debug HTTP API (`host:port`). */
export function fetchDebug(address: string, pathAndQuery: string, timeoutMs = 5000): Promise<{ status: number; body: unknown }> {
  const url = new URL(`http://${address}${pathAndQuery}`);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown });
        } catch {
          reject(new ControlPlaneError(`control plane at ${address} answered ${url.pathname} with non-JSON (status ${res.statusCode})`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new ControlPlaneError(`control plane at ${address} did not answer within ${timeoutMs} ms`)));
    req.on('error', (err) =>
      reject(err instanceof ControlPlaneError ? err : new ControlPlaneError(`cannot reach the control plane at ${address}: ${err.message}`)),
    );
    req.end();
  });
}
