// Test helper only: a connected loopback TCP pair for socket-level unit tests.
import { once } from 'node:events';
import net from 'node:net';

export interface SocketPair {
  /** The connecting side (net.connect). */
  readonly client: net.Socket;
  /** The accepted side. */
  readonly peer: net.Socket;
  /** Destroys both sockets and closes the listener. */
  close(): void;
}

export async function socketPair(): Promise<SocketPair> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await once(client, 'connect');
  const [peer] = (await accepted) as [net.Socket];
  return {
    client,
    peer,
    close: () => {
      client.destroy();
      peer.destroy();
      server.close();
    },
  };
}
