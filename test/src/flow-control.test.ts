import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { after, before, describe, test } from 'node:test';
import { startProxyFromYaml, type TestProxy } from '@weft/testing';
import { sleep } from './raw-conn.js';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

const SIZE = 32 * 1024 * 1024;
const CHUNK = 64 * 1024;
/**
 * What may legitimately sit between a blocked writer and a paused reader: the kernel socket buffers of two loopback
 * connections (autotuned: 8-12 MB in total measured here) plus the proxy's own watermark buffers. Without flow
 * control the whole 32 MB would be absorbed by the proxy.
 */
const MAX_IN_FLIGHT = 24 * 1024 * 1024;
/** User-space buffers (the proxy's, plus the peers' 16 KB watermarks) allowed to grow while the writer is blocked. */
const MAX_BUFFERED = 4 * 1024 * 1024;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** ArrayBuffer memory in use after a full GC: what this process (proxy included) holds in Buffers. */
function liveBuffers(): number {
  gc();
  return process.memoryUsage().arrayBuffers;
}

/**
 * Growth over `before` once the system has settled: the smallest of a few samples, so bytes still moving between
 * sockets on a busy machine are not mistaken for a proxy that buffers without bound (that growth would persist).
 */
async function settledGrowth(before: number): Promise<number> {
  let least = liveBuffers() - before;
  for (let i = 0; i < 4 && least >= MAX_BUFFERED; i++) {
    await sleep(250);
    least = Math.min(least, liveBuffers() - before);
  }
  return least;
}

function chunkOf(i: number): Buffer {
  return Buffer.alloc(CHUNK, i % 251);
}

function expectedDigest(): string {
  const h = createHash('sha256');
  for (let i = 0; i < SIZE / CHUNK; i++) h.update(chunkOf(i));
  return h.digest('hex');
}

/** Resolves with `read()` once it has not changed for `quietMs` (the writer is blocked). */
async function whenStalled(read: () => number, quietMs = 400, maxMs = 8000): Promise<number> {
  const start = Date.now();
  let last = read();
  let since = Date.now();
  while (Date.now() - start < maxMs) {
    await sleep(50);
    const v = read();
    if (v !== last) {
      last = v;
      since = Date.now();
    } else if (Date.now() - since >= quietMs && v > 0) {
      return v;
    }
  }
  throw new Error(`writer never stalled (at ${last} bytes)`);
}

describe('flow control through the proxy', () => {
  let upstream: http.Server;
  /** Bytes the upstream's res.write() accepted for the current download. */
  let upstreamWritten = 0;
  let sawBackpressure = false;
  /** Lets the slow-reading upstream start consuming the request body. */
  const upload: { release?: (() => void) | undefined } = {};
  let proxy: TestProxy;
  let port: number;
  const digest = expectedDigest();

  before(async () => {
    upstream = http.createServer((req, res) => {
      if (req.url === '/download') {
        req.resume();
        upstreamWritten = 0;
        sawBackpressure = false;
        res.writeHead(200, { 'content-length': SIZE });
        let i = 0;
        const pump = (): void => {
          while (i < SIZE / CHUNK) {
            const c = chunkOf(i++);
            upstreamWritten += c.length;
            if (!res.write(c)) {
              sawBackpressure = true;
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        pump();
        return;
      }
      // /upload: read nothing until released, then hash the body.
      req.pause();
      upload.release = () => {
        const h = createHash('sha256');
        let n = 0;
        req.on('data', (c: Buffer) => {
          h.update(c);
          n += c.length;
        });
        req.on('end', () => {
          const body = `${n} ${h.digest('hex')}`;
          res.writeHead(200, { 'content-length': Buffer.byteLength(body) });
          res.end(body);
        });
        req.resume();
      };
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const upPort = (upstream.address() as net.AddressInfo).port;
    proxy = await startProxyFromYaml(bootstrap(httpListener({ routes: '- match: { prefix: "/" }\n  route: { cluster: up, timeout: 0s }' }), staticCluster('up', [upPort])));
    port = proxy.port('http');
  });

  after(async () => {
    await proxy.close();
    await new Promise<void>((resolve) => {
      upstream.close(() => resolve());
      upstream.closeAllConnections();
    });
  });

  test('a slow-reading client blocks the upstream instead of the proxy buffering the response', async () => {
    const buffersBefore = liveBuffers();
    const client = net.connect(port, '127.0.0.1');
    client.on('error', () => undefined);
    client.pause();
    await new Promise<void>((r) => client.once('connect', r));
    client.write('GET /download HTTP/1.1\r\nHost: x\r\n\r\n');
    const stalledAt = await whenStalled(() => upstreamWritten);
    assert.ok(sawBackpressure, 'the upstream res.write() never returned false');
    assert.ok(stalledAt < MAX_IN_FLIGHT, `upstream wrote ${stalledAt} bytes before blocking`);
    const grown = await settledGrowth(buffersBefore);
    assert.ok(grown < MAX_BUFFERED, `buffers grew by ${grown} bytes while the client was not reading`);
    // Read everything now; the body must arrive whole and intact.
    const received = await new Promise<{ bodyLen: number; hash: string }>((resolve, reject) => {
      const h = createHash('sha256');
      let head = Buffer.alloc(0);
      let inBody = false;
      let bodyLen = 0;
      client.on('data', (c: Buffer) => {
        if (!inBody) {
          head = Buffer.concat([head, c]);
          const end = head.indexOf('\r\n\r\n');
          if (end < 0) return;
          assert.match(head.subarray(0, end).toString('latin1'), /^HTTP\/1\.1 200 /);
          inBody = true;
          c = head.subarray(end + 4);
        }
        h.update(c);
        bodyLen += c.length;
        if (bodyLen >= SIZE) resolve({ bodyLen, hash: h.digest('hex') });
      });
      client.on('close', () => reject(new Error(`closed after ${bodyLen} body bytes`)));
      client.resume();
    });
    client.destroy();
    assert.equal(received.bodyLen, SIZE);
    assert.equal(received.hash, digest);
    assert.equal(upstreamWritten, SIZE);
  });

  test('a slow-reading upstream blocks the client instead of the proxy buffering the request body', async () => {
    upload.release = undefined;
    const buffersBefore = liveBuffers();
    const client = net.connect(port, '127.0.0.1');
    client.on('error', () => undefined);
    await new Promise<void>((r) => client.once('connect', r));
    const chunks: Buffer[] = [];
    client.on('data', (c: Buffer) => chunks.push(c));
    client.write(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${SIZE}\r\n\r\n`);
    let accepted = 0;
    let i = 0;
    let blocked = false;
    const pump = (): void => {
      while (i < SIZE / CHUNK) {
        const c = chunkOf(i++);
        const ok = client.write(c, () => (accepted += c.length));
        if (!ok) {
          blocked = true;
          client.once('drain', pump);
          return;
        }
      }
    };
    pump();
    const stalledAt = await whenStalled(() => accepted);
    assert.ok(blocked, 'the client write() never returned false');
    assert.ok(stalledAt < MAX_IN_FLIGHT, `the client got ${stalledAt} bytes accepted while the upstream read nothing`);
    const grown = await settledGrowth(buffersBefore);
    assert.ok(grown < MAX_BUFFERED, `buffers grew by ${grown} bytes while the upstream was not reading`);
    // (set by the upstream's handler, which TypeScript's narrowing cannot see)
    const release = upload.release as (() => void) | undefined;
    assert.ok(release, 'the upstream never saw the request head');
    release();
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (/\r\n\r\n\d+ [0-9a-f]{64}$/.test(Buffer.concat(chunks).toString('latin1'))) resolve();
      };
      client.on('data', check);
      client.on('close', () => reject(new Error(`closed: ${Buffer.concat(chunks).toString('latin1')}`)));
    });
    client.destroy();
    const text = Buffer.concat(chunks).toString('latin1');
    assert.match(text, /^HTTP\/1\.1 200 /);
    assert.ok(text.endsWith(`\r\n\r\n${SIZE} ${digest}`), text);
  });
});
