import type { DeadlineList, DeadlineNode } from '../server/deadline-queue.js';

/** What the timer ends. */
export interface DurationLimited {
  onMaxStreamDuration(): void;
}

/**
 * `max_stream_duration` of one stream (HCM common option, or the route's override): a deadline node of its own so
 * the stream's other timers (idle, per codec) stay independent.
 */
export class StreamDurationTimer implements DeadlineNode {
  deadlinePrev: DeadlineNode | null = null;
  deadlineNext: DeadlineNode | null = null;
  deadlineAt = 0;
  deadlineList: DeadlineList | null = null;

  constructor(private readonly stream: DurationLimited) {}

  onDeadline(): void {
    this.stream.onMaxStreamDuration();
  }

  cancel(): void {
    this.deadlineList?.cancel(this);
  }
}
