import http from 'node:http';

/** One GET on a fresh connection; resolves { status, body } or rejects (connection refused, timeout...). */
export function httpGet(port, urlPath = '/', timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no response within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls GET 127.0.0.1:port/urlPath until it answers 200. Fails early if `proc` (a ManagedProcess) exits.
 * Resolves when ready, rejects with an Error naming the last failure.
 */
export async function waitFor200(port, urlPath, timeoutMs, proc) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no attempt';
  while (Date.now() < deadline) {
    if (proc && !proc.running) throw new Error(`${proc.describeExit()}${proc.tail() ? `: ${proc.tail()}` : ''}`);
    try {
      const res = await httpGet(port, urlPath, 1000);
      if (res.status === 200) return;
      last = `GET ${urlPath} answered ${res.status}`;
    } catch (err) {
      last = `GET ${urlPath}: ${err.message}`;
    }
    await sleep(100);
  }
  throw new Error(`not ready after ${timeoutMs / 1000} s (${last})`);
}

/** Checks that the port serves 200 "hello world"; throws an Error saying what came back otherwise. */
export async function expectHelloWorld(port) {
  const res = await httpGet(port, '/', 2000);
  if (res.status !== 200 || res.body.trim() !== 'hello world') {
    throw new Error(`check request got ${res.status} ${JSON.stringify(res.body.slice(0, 200))}, expected 200 "hello world"`);
  }
}
