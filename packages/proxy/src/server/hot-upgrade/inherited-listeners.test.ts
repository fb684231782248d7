import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { addInheritedListener, closeUnclaimedListeners, rawHandleOf, takeInheritedListener } from './inherited-listeners.js';

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

test('a handed socket goes to the listener of the same name and address, once; others bind anew; the rest is closed', async () => {
  const a = { name: 'http', host: '127.0.0.1', port: 10000, boundPort: 10000 };
  const b = { name: 'ephemeral', host: '127.0.0.1', port: 0, boundPort: 43210 };
  const handleA = {};
  let closedB = 0;
  addInheritedListener(a, handleA);
  addInheritedListener(b, { close: () => closedB++ });
  assert.equal(takeInheritedListener('http', '127.0.0.1', 10001), undefined, 'another port');
  assert.equal(takeInheritedListener('http', '::1', 10000), undefined, 'another host');
  assert.equal(takeInheritedListener('other', '127.0.0.1', 10000), undefined, 'another name');
  assert.equal(takeInheritedListener('http', '127.0.0.1', 10000), handleA);
  assert.equal(takeInheritedListener('http', '127.0.0.1', 10000), undefined, 'taken once');
  assert.deepEqual(closeUnclaimedListeners(), [b]);
  assert.equal(closedB, 1);
  assert.deepEqual(closeUnclaimedListeners(), []);
});

test('a server listening on a raw handle (what NEW receives) accepts on the original socket, same port, no rebind', async () => {
  const original = net.createServer();
  await new Promise<void>((r) => original.listen(0, '127.0.0.1', r));
  const port = (original.address() as net.AddressInfo).port;
  const handle = rawHandleOf(original);
  assert.ok(handle);
  const adopted = net.createServer((s) => s.end('adopted'));
  await new Promise<void>((r) => adopted.listen(handle, r));
  assert.equal((adopted.address() as net.AddressInfo).port, port);
  const sock = await connect(port);
  const body = await new Promise<string>((resolve) => {
    let got = '';
    sock.on('data', (c: Buffer) => (got += c.toString()));
    sock.on('end', () => resolve(got));
  });
  assert.equal(body, 'adopted');
  await new Promise<void>((r) => adopted.close(() => r()));
  original.close();
});
