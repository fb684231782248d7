/** A stream that queued responses while the budget was exhausted. */
export interface BudgetWaiter {
  readonly isClosed: boolean;
  /** Sends queued responses while the budget allows; true when nothing is left queued. */
  drainBacklog(): boolean;
}

/**
 * Caps the response bytes handed to gRPC but not yet written to the sockets, across all streams. Without it the
 * first full config for hundreds of proxies connecting at once is buffered whole (hundreds of MB); with it the
 * streams are served in turn as the sockets drain. A response larger than the cap still goes out alone.
 */
export class SendBudget {
  private inFlight = 0;
  private readonly waiting = new Set<BudgetWaiter>();

  constructor(readonly maxBytes: number) {}

  get bytesInFlight(): number {
    return this.inFlight;
  }

  tryTake(bytes: number): boolean {
    if (this.inFlight > 0 && this.inFlight + bytes > this.maxBytes) return false;
    this.inFlight += bytes;
    return true;
  }

  wait(stream: BudgetWaiter): void {
    this.waiting.add(stream);
  }

  release(bytes: number): void {
    this.inFlight -= bytes;
    for (const stream of this.waiting) {
      if (!stream.isClosed && !stream.drainBacklog()) return;
      this.waiting.delete(stream);
    }
  }
}
