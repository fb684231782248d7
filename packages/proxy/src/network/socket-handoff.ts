import type net from 'node:net';

/** The part of a net.Socket's internal libuv handle used to stop reading from the kernel. */
interface ReadingHandle {
  reading: boolean;
  readStop(): number;
  readStart(): number;
}

/**
 * Stops a socket reading and returns what it had read but nobody consumed, so its file descriptor can move to another
 * process with every unread byte either returned here or still in the kernel. pause() alone is not enough: a paused
 * net.Socket keeps reading from the kernel into its buffer up to its high-water mark, and socket.read() restarts
 * that reading. So: pause, take the buffer, then stop the handle in the same tick (libuv reads only when the event
 * loop polls, so no byte can slip in between). Node exposes no public call for the last step.
 */
export function stopReading(socket: net.Socket): Buffer[] {
  socket.pause();
  const out: Buffer[] = [];
  for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) out.push(chunk);
  const handle = (socket as unknown as { _handle: ReadingHandle | null })._handle;
  if (handle !== null) {
    handle.reading = false;
    handle.readStop();
  }
  return out;
}

/**
 * Makes a socket read from the kernel again after stopReading() (an in-process hand-over reuses the same Socket,
 * whose stream still believes a read is pending and so never asks its handle again). A socket Node built from a
 * handle passed over IPC is already reading: nothing to do.
 */
export function startReading(socket: net.Socket): void {
  const handle = (socket as unknown as { _handle: ReadingHandle | null })._handle;
  if (handle === null || handle.reading || socket.destroyed) return;
  handle.reading = true;
  handle.readStart();
}

/** Whether the peer's FIN was already read (the stream has ended, even if 'end' was not emitted yet). */
export function receivedEof(socket: net.Socket): boolean {
  return (socket as unknown as { _readableState: { ended: boolean } })._readableState.ended;
}
