// The gRPC unary echo used by the gRPC suite: one method, raw bytes in and out (identity (de)serializers), so no
// .proto file and no code generation. @grpc/grpc-js comes from the workspace (a dependency of @weft/api).
import grpc from '@grpc/grpc-js';

export const ECHO_PATH = '/weft.bench.Echo/Echo';

const identity = (b) => b;

/** Service definition shared by the server and makeGenericClientConstructor. */
export const ECHO_SERVICE = {
  Echo: {
    path: ECHO_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

export const EchoClient = grpc.makeGenericClientConstructor(ECHO_SERVICE, 'Echo');

/** Starts an echo server on 127.0.0.1 (port 0 = any); resolves { server, port }. */
export function startEchoServer(port = 0) {
  const server = new grpc.Server();
  server.addService(ECHO_SERVICE, { Echo: (call, callback) => callback(null, call.request) });
  return new Promise((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => {
      if (err) reject(err);
      else resolve({ server, port: bound });
    });
  });
}

/** A client on one channel (one HTTP/2 connection) to 127.0.0.1:port. */
export function echoClient(port) {
  return new EchoClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}

/** One Echo call; resolves the reply Buffer, rejects with the gRPC error (which has `code` and `details`). */
export function echoOnce(client, payload, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    client.Echo(payload, { deadline: Date.now() + timeoutMs }, (err, reply) => (err ? reject(err) : resolve(reply)));
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Readiness check through `port`: retries an Echo call until one returns the payload unchanged (within `timeoutMs`);
 * fails early if `proc` exits. Rejects naming the last failure.
 */
export async function waitForEcho(port, timeoutMs = 10_000, proc = null) {
  const client = echoClient(port);
  const payload = Buffer.from('weft-bench-check');
  const deadline = Date.now() + timeoutMs;
  let last = 'no attempt';
  try {
    while (Date.now() < deadline) {
      if (proc && !proc.running) throw new Error(`${proc.describeExit()}${proc.tail() ? `: ${proc.tail()}` : ''}`);
      try {
        const reply = await echoOnce(client, payload, 1000);
        if (Buffer.compare(reply, payload) === 0) return;
        last = `Echo returned ${JSON.stringify(reply.toString('utf8').slice(0, 100))}`;
      } catch (err) {
        last = `Echo failed: ${err.code !== undefined ? `${grpc.status[err.code] ?? err.code} ` : ''}${err.details ?? err.message}`;
      }
      await sleep(100);
    }
    throw new Error(`gRPC Echo not answered after ${timeoutMs / 1000} s (${last})`);
  } finally {
    client.close();
  }
}

/** Name of a gRPC status code ("UNAVAILABLE"), or the number as a string. */
export const statusName = (code) => grpc.status[code] ?? String(code);
