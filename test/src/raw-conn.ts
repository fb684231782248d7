import net from 'node:net';

/**
 * A raw client connection that keeps everything it receives, for tests that must control exactly when bytes are
 * sent (partial heads, slow bodies) and observe when the proxy closes the connection.
 */
export class RawConn {
  readonly socket: net.Socket;
  private chunks: Buffer[] = [];
  private closedFlag = false;
  private readonly waiters = new Set<() => void>();

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (c: Buffer) => {
      this.chunks.push(c);
      this.wake();
    });
    socket.on('close', () => {
      this.closedFlag = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.off('error', reject);
        resolve(new RawConn(s));
      });
      s.once('error', reject);
    });
  }

  get text(): string {
    return Buffer.concat(this.chunks).toString('latin1');
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Resolves when `predicate` holds (checked on every event), rejects after `timeoutMs`. */
  until(predicate: (c: RawConn) => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
    if (predicate(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate(this)) return;
        clearTimeout(t);
        this.waiters.delete(check);
        resolve();
      };
      const t = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; received so far: ${JSON.stringify(this.text.slice(0, 500))} closed=${this.closedFlag}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  untilText(re: RegExp, timeoutMs = 3000): Promise<void> {
    return this.until((c) => re.test(c.text), timeoutMs, String(re));
  }

  untilClosed(timeoutMs = 3000): Promise<void> {
    return this.until((c) => c.closed, timeoutMs, 'close');
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A TCP server that accepts connections and reads requests but never answers (a hung upstream). */
export async function startSilentServer(): Promise<{ port: number; received: () => string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const chunks: Buffer[] = [];
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    received: () => Buffer.concat(chunks).toString('latin1'),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
