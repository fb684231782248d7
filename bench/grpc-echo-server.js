#!/usr/bin/env node
// gRPC unary echo server for the bench's gRPC suite (run pinned by bench/lib/suite-grpc.js). Prints
// "listening <port>" once bound and serves until SIGTERM.
import { startEchoServer } from './lib/grpc-echo.js';

const { server, port } = await startEchoServer(Number(process.argv[2] ?? 0));
process.stdout.write(`listening ${port}\n`);
process.once('SIGTERM', () => {
  server.tryShutdown(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
});
