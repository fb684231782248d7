/**
 * The NEW process of the IPC hot-upgrade tests (rpc-hot-upgrade-ipc.test.ts): starts a proxy from the YAML its parent
 * sends, then adopts every socket the parent hands over with `send({ type: 'adopt', ... }, socket)`.
 */
import type net from 'node:net';
import { startProxyFromYaml, type TestProxy } from '@weft/testing';

interface ParentMessage {
  readonly type: 'start' | 'adopt' | 'stop';
  readonly yaml?: string;
  readonly listenerName?: string;
  /** base64 */
  readonly unread?: string;
}

let proxy: TestProxy | undefined;

process.on('message', (raw: unknown, handle: unknown) => {
  const m = raw as ParentMessage;
  if (m.type === 'start') {
    void startProxyFromYaml(m.yaml ?? '').then((p) => {
      proxy = p;
      process.send?.({ type: 'ready', adminPort: p.adminPort });
    });
  } else if (m.type === 'adopt') {
    proxy?.server.adoptConnection({ listenerName: m.listenerName ?? '', socket: handle as net.Socket, unread: Buffer.from(m.unread ?? '', 'base64') });
    process.send?.({ type: 'adopted' });
  } else {
    void proxy?.close().then(() => process.disconnect());
  }
});
