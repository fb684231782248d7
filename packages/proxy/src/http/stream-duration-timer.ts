import { Deadline, type DeadlineOwner } from '../server/deadline-queue.js';

/** What the timer ends. */
export interface DurationLimited {
  onMaxStreamDuration(): void;
}

/**
 * `max_stream_duration` of one stream (HCM common option, or the route's override): a deadline node of its own so
 * the stream's other timers (idle, per codec) stay independent.
 */
export class StreamDurationTimer implements DeadlineOwner {
  readonly deadline = new Deadline(this);

  constructor(private readonly stream: DurationLimited) {}

  onDeadline(): void {
    this.stream.onMaxStreamDuration();
  }

  cancel(): void {
    this.deadline.cancel();
  }
}
