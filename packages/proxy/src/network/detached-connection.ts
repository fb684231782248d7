import type { Socket } from 'node:net';

/**
 * A downstream connection taken out of this process for a hot upgrade: reading stopped, nothing in flight, and the
 * bytes read but not yet consumed (a half-received frame) travel with it so the next process resumes mid-frame.
 */
export interface DetachedConnection {
  /** The listener it was accepted on; the next process hands it to its listener of the same name. */
  readonly listenerName: string;
  readonly socket: Socket;
  readonly unread: Buffer;
}
