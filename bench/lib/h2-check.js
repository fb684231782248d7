// Readiness and sanity checks over HTTP/2 cleartext with prior knowledge (what h2load and gRPC speak).
import http2 from 'node:http2';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One GET over a fresh h2c session; resolves { status, body } or rejects (refused, protocol error, timeout...). */
export function h2Get(port, urlPath = '/', timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    let settled = false;
    const finish = (err, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    const timer = setTimeout(() => finish(new Error(`no HTTP/2 response within ${timeoutMs} ms`)), timeoutMs);
    session.on('error', (err) => finish(err));
    session.on('close', () => finish(new Error('HTTP/2 session closed before a response')));
    const req = session.request({ ':method': 'GET', ':path': urlPath });
    let status = 0;
    const chunks = [];
    req.on('response', (headers) => {
      status = Number(headers[':status']);
    });
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => finish(null, { status, body: Buffer.concat(chunks).toString('utf8') }));
    req.on('error', (err) => finish(err));
    req.end();
  });
}

/** Polls an h2c GET until it answers 200; fails early if `proc` exits. Rejects naming the last failure. */
export async function waitForH2_200(port, urlPath, timeoutMs, proc) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no attempt';
  while (Date.now() < deadline) {
    if (proc && !proc.running) throw new Error(`${proc.describeExit()}${proc.tail() ? `: ${proc.tail()}` : ''}`);
    try {
      const res = await h2Get(port, urlPath, 1000);
      if (res.status === 200) return;
      last = `h2c GET ${urlPath} answered ${res.status}`;
    } catch (err) {
      last = `h2c GET ${urlPath}: ${err.message}`;
    }
    await sleep(100);
  }
  throw new Error(`not ready after ${timeoutMs / 1000} s (${last})`);
}

/** Checks that the port serves 200 "hello world" over h2c; throws saying what came back otherwise. */
export async function expectH2HelloWorld(port) {
  const res = await h2Get(port, '/', 2000);
  if (res.status !== 200 || res.body.trim() !== 'hello world') {
    throw new Error(`h2c check request got ${res.status} ${JSON.stringify(res.body.slice(0, 200))}, expected 200 "hello world"`);
  }
}
