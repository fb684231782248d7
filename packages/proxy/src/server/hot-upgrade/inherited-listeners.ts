import type net from 'node:net';
import type { HandedListener } from './protocol.js';

/**
 * Node's raw TCP handle behind a listening net.Server. The handover sends this rather than the Server: a received
 * Server starts accepting at once in whichever process receives it (the agent relaying it, or NEW before its
 * listener exists), while a raw handle accepts nothing until a listener adopts it; until then connections wait in
 * the kernel's backlog, shared with OLD's copy of the socket.
 */
export type RawListenHandle = object;

export function rawHandleOf(server: net.Server | undefined): RawListenHandle | undefined {
  return (server as unknown as { _handle?: RawListenHandle | null } | undefined)?._handle ?? undefined;
}

/** Closes this process's copy of a raw handle (the socket stays open in any process still holding one). */
export function closeRawHandle(handle: RawListenHandle): void {
  (handle as { close?: () => void }).close?.();
}

interface Inherited {
  readonly listener: HandedListener;
  readonly handle: RawListenHandle;
}

/** Listening sockets handed over by the previous process, waiting for the listener (or admin server) that takes them. */
const inherited: Inherited[] = [];

export function addInheritedListener(listener: HandedListener, handle: RawListenHandle): void {
  inherited.push({ listener, handle });
}

/**
 * The handed socket for a listener of this name and configured address (name '' = admin), removed from the pool.
 * A listener whose name or address changed gets nothing and binds normally.
 */
export function takeInheritedListener(name: string, host: string, port: number): RawListenHandle | undefined {
  const i = inherited.findIndex((e) => e.listener.name === name && e.listener.host === host && (e.listener.port === port || e.listener.boundPort === port));
  if (i < 0) return undefined;
  const [entry] = inherited.splice(i, 1);
  return entry?.handle;
}

/** Closes handed sockets no listener took (their listeners are gone from this process's config). */
export function closeUnclaimedListeners(): HandedListener[] {
  const left = inherited.splice(0, inherited.length);
  for (const e of left) closeRawHandle(e.handle);
  return left.map((e) => e.listener);
}
