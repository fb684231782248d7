#!/usr/bin/env node
// RPC echo server for the bench's RPC suite (run pinned by bench/lib/suite-rpc.js):
//   node bench/rpc-echo-server.js [--bolt-port 0] [--dubbo-port 0]
// One port per protocol on 127.0.0.1. Every two-way request is answered with one fixed response frame captured at
// start-up from the real peers (sofa-rpc-node RpcServer, the hessian.js Dubbo provider) with the request id patched
// in: no hessian work per request. Prints "listening bolt=<port> dubbo=<port>" once bound; serves until SIGTERM.
import net from 'node:net';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { captureExchange } from './lib/rpc-capture.js';
import { EchoResponder } from './lib/rpc-echo.js';
import { PROTOCOLS } from './lib/rpc-frames.js';

const { values } = parseArgs({ options: { 'bolt-port': { type: 'string', default: '0' }, 'dubbo-port': { type: 'string', default: '0' } }, strict: true });

const sockets = new Set();
const servers = [];
const ports = {};
for (const protocol of PROTOCOLS) {
  const { response } = await captureExchange(protocol);
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    const responder = new EchoResponder(protocol, response, (buf) => socket.write(buf), (err) => {
      process.stderr.write(`rpc-echo-server: ${protocol}: ${err.message}; closing the connection\n`);
      socket.destroy();
    });
    socket.on('data', (chunk) => responder.onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(Number(values[`${protocol}-port`]), '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  ports[protocol] = server.address().port;
}
process.stdout.write(`listening ${PROTOCOLS.map((p) => `${p}=${ports[p]}`).join(' ')}\n`);
process.once('SIGTERM', () => {
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
  setTimeout(() => process.exit(0), 200).unref();
});
