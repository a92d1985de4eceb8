/**
 * Gathers the calls of one kind made in one turn of the event loop into one statement: many runs' step records,
 * or many new runs, cost one round trip and one commit instead of one each. Batches run side by side on the pool.
 */

/** What became of one call of a batch: its value, or the error that call alone rejects with. */
export type BatchResult<R> = { ok: true; value: R } | { ok: false; error: unknown };

interface Pending<I, R> {
  item: I;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Batches calls; `run` gets the items in call order and answers for each, or throws for all of them. While
 * `maxInFlight` batches are under way, new calls wait and join the next batch: under load batches grow instead of
 * multiplying, and each statement's fixed cost is shared by more calls.
 */
export class Batcher<I, R> {
  private pending: Array<Pending<I, R>> = [];
  private scheduled = false;
  private inFlight = 0;

  constructor(
    private readonly run: (items: I[]) => Promise<Array<BatchResult<R>>>,
    private readonly maxInFlight = 2,
    /** The most calls in one statement (a statement's arrays are sent as parameters, in one message). */
    private readonly maxBatch = 1000,
  ) {}

  /** Adds a call to the batch of this turn. */
  add(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.pending.length > 0 && this.inFlight < this.maxInFlight) {
      const batch = this.pending.splice(0, this.maxBatch);
      this.inFlight += 1;
      void this.run(batch.map((p) => p.item)).finally(() => {
        this.inFlight -= 1;
        if (this.pending.length > 0 && !this.scheduled) this.flush();
      }).then(
        (results) =>
          batch.forEach((p, i) => {
            const result = results[i];
            if (result === undefined) p.reject(new Error('a batched statement answered for fewer calls than it was given'));
            else if (result.ok) p.resolve(result.value);
            else p.reject(result.error);
          }),
        (error: unknown) => {
          for (const p of batch) p.reject(error);
        },
      );
    }
  }
}
