import * as fs from 'node:fs';
import type { Counter, Gauge, Scope } from '../../interfaces/stats.js';

/** Where formatted lines go. Writes are buffered; `flush()` pushes them out. */
export interface Sink {
  write(line: string): void;
  flush(): void;
  reopen(): void;
  close(): void;
}

/** Envoy's `filesystem.*` stats. */
interface SinkStats {
  writeBuffered: Counter;
  writeCompleted: Counter;
  writeFailed: Counter;
  flushedByTimer: Counter;
  reopenFailed: Counter;
  totalBuffered: Gauge;
}

export interface SinkOptions {
  /** Envoy flushes access logs every 1 s (`file_flush_interval`). */
  flushIntervalMs?: number;
  /** Flush as soon as this much is buffered (Envoy: 64 KiB). */
  flushBytes?: number;
}

const NO_STATS: SinkStats | undefined = undefined;

function writeAll(fd: number, data: string): void {
  const buf = Buffer.from(data, 'utf8');
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
}

abstract class BufferedSink implements Sink {
  private chunks: string[] = [];
  private size = 0;

  constructor(
    protected readonly flushBytes: number,
    protected stats: SinkStats | undefined,
  ) {}

  setStats(stats: SinkStats | undefined): void {
    this.stats = stats;
  }

  write(line: string): void {
    this.chunks.push(line);
    this.size += line.length;
    if (this.stats !== undefined) {
      this.stats.writeBuffered.inc();
      this.stats.totalBuffered.add(line.length);
    }
    if (this.size >= this.flushBytes) this.flush();
  }

  /** Writes the buffer synchronously: a short blocking write per 64 KiB or per second (Envoy uses a thread). */
  flush(): void {
    if (this.size === 0) return;
    const data = this.chunks.length === 1 ? (this.chunks[0] as string) : this.chunks.join('');
    const size = this.size;
    this.chunks = [];
    this.size = 0;
    try {
      this.writeOut(data);
      this.stats?.writeCompleted.inc();
    } catch {
      // Traffic must not fail because a log write did; the loss is counted.
      this.stats?.writeFailed.inc();
    }
    this.stats?.totalBuffered.sub(size);
  }

  flushByTimer(): void {
    if (this.size === 0) return;
    this.stats?.flushedByTimer.inc();
    this.flush();
  }

  protected abstract writeOut(data: string): void;
  abstract reopen(): void;
  abstract close(): void;
}

/** A file opened with O_APPEND, so several worker processes can share it without overwriting each other. */
export class FileSink extends BufferedSink {
  private fd: number;

  constructor(
    readonly path: string,
    flushBytes: number,
    stats: SinkStats | undefined,
  ) {
    super(flushBytes, stats);
    this.fd = fs.openSync(path, 'a');
  }

  protected writeOut(data: string): void {
    writeAll(this.fd, data);
  }

  /** Flushes, then opens the path anew (after logrotate moved the file); keeps the old file if that fails. */
  reopen(): void {
    this.flush();
    let fd: number;
    try {
      fd = fs.openSync(this.path, 'a');
    } catch {
      this.stats?.reopenFailed.inc();
      return;
    }
    const old = this.fd;
    this.fd = fd;
    try {
      fs.closeSync(old);
    } catch {
      // Already closed: nothing to do.
    }
  }

  close(): void {
    this.flush();
    if (this.fd < 0) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // Already closed.
    }
    this.fd = -1;
  }
}

/** process.stdout / process.stderr (for `/dev/stdout`, `/dev/stderr` and the stream access loggers). */
export class StreamSink extends BufferedSink {
  constructor(
    private readonly stream: NodeJS.WritableStream,
    flushBytes: number,
    stats: SinkStats | undefined,
  ) {
    super(flushBytes, stats);
  }

  protected writeOut(data: string): void {
    this.stream.write(data);
  }

  reopen(): void {
    this.flush();
  }

  close(): void {
    this.flush();
  }
}

/**
 * One sink per path, shared by every logger of the process, flushed by one unref'd interval timer. The server calls
 * `reopenAll()` on SIGUSR1 (Envoy's log reopen) and `flushAll()`/`closeAll()` at shutdown.
 */
export class SinkRegistry {
  private readonly sinks = new Map<string, BufferedSink>();
  private timer: NodeJS.Timeout | undefined;
  private stats: SinkStats | undefined = NO_STATS;
  private readonly flushIntervalMs: number;
  private readonly flushBytes: number;

  constructor(options: SinkOptions = {}) {
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.flushBytes = options.flushBytes ?? 64 * 1024;
  }

  /** Attaches Envoy's `filesystem.*` stats under `scope`. */
  attachStats(scope: Scope): void {
    const s = scope.scope('filesystem');
    this.stats = {
      writeBuffered: s.counter('write_buffered'),
      writeCompleted: s.counter('write_completed'),
      writeFailed: s.counter('write_failed'),
      flushedByTimer: s.counter('flushed_by_timer'),
      reopenFailed: s.counter('reopen_failed'),
      totalBuffered: s.gauge('write_total_buffered'),
    };
    for (const sink of this.sinks.values()) sink.setStats(this.stats);
  }

  /** The sink for a path (`/dev/stdout` and `/dev/stderr` map to the process streams). Throws if it cannot open. */
  get(path: string): Sink {
    let sink = this.sinks.get(path);
    if (sink === undefined) {
      if (path === '/dev/stdout') sink = new StreamSink(process.stdout, this.flushBytes, this.stats);
      else if (path === '/dev/stderr') sink = new StreamSink(process.stderr, this.flushBytes, this.stats);
      else sink = new FileSink(path, this.flushBytes, this.stats);
      this.sinks.set(path, sink);
      this.startTimer();
    }
    return sink;
  }

  flushAll(): void {
    for (const s of this.sinks.values()) s.flush();
  }

  reopenAll(): void {
    for (const s of this.sinks.values()) s.reopen();
  }

  /** Flushes and closes every sink and stops the timer; later `get()` calls open afresh. */
  closeAll(): void {
    for (const s of this.sinks.values()) s.close();
    this.sinks.clear();
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private startTimer(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      for (const s of this.sinks.values()) s.flushByTimer();
    }, this.flushIntervalMs);
    this.timer.unref();
  }
}

/** The process-wide registry used when a caller passes none. */
export const defaultSinks = new SinkRegistry();

export function flushAll(): void {
  defaultSinks.flushAll();
}

export function reopenAll(): void {
  defaultSinks.reopenAll();
}

export function closeAll(): void {
  defaultSinks.closeAll();
}
