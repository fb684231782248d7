import net from 'node:net';

/**
 * Sends raw bytes and collects everything the server sends until it closes the connection or stays silent for
 * `idleMs`. For codec and smuggling tests where a real client would refuse to send the input.
 */
export function rawExchange(port: number, data: string | Buffer, opts: { idleMs?: number; host?: string; endAfterWrite?: boolean } = {}): Promise<{ text: string; closed: boolean }> {
  const idleMs = opts.idleMs ?? 300;
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, opts.host ?? '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (timer) clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed });
    };
    const arm = (): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(finish, idleMs);
    };
    socket.on('connect', () => {
      socket.write(data);
      if (opts.endAfterWrite) socket.end();
      arm();
    });
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      arm();
    });
    socket.on('end', () => {
      closed = true;
    });
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('error', (err) => {
      if (chunks.length > 0 || closed) return;
      if (timer) clearTimeout(timer);
      reject(err);
    });
  });
}

/** Splits a raw HTTP/1 byte stream into responses' status codes (in order). */
export function statusCodes(text: string): number[] {
  const out: number[] = [];
  const re = /HTTP\/1\.[01] (\d{3})/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) out.push(Number(m[1]));
  return out;
}
