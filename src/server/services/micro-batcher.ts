/**
 * Group commit for hot paths: concurrent callers share database round trips.
 *
 * A call that finds no batch on its way starts one at once (no timer, so a lone call waits for nothing). Calls
 * arriving while `maxInFlight` batches are on their way queue up and leave together, in arrival order, as the next
 * batch, up to `maxBatch` at a time. Under load, batches grow by themselves; when quiet, every call is a batch of one.
 *
 * `run` receives the queued inputs and returns one outcome per input, in order; if it throws, every call of that
 * batch rejects with the error.
 */
export interface MicroBatcherOptions<I, O> {
  maxBatch: number;
  maxInFlight: number;
  run: (inputs: I[]) => Promise<O[]>;
}

export interface MicroBatcher<I, O> {
  submit: (input: I) => Promise<O>;
}

interface Pending<I, O> {
  input: I;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

export function createMicroBatcher<I, O>(options: MicroBatcherOptions<I, O>): MicroBatcher<I, O> {
  const queue: Pending<I, O>[] = [];
  let inFlight = 0;

  function pump(): void {
    while (inFlight < options.maxInFlight && queue.length > 0) {
      const batch = queue.splice(0, options.maxBatch);
      inFlight++;
      void runBatch(batch).finally(() => {
        inFlight--;
        pump();
      });
    }
  }

  async function runBatch(batch: Pending<I, O>[]): Promise<void> {
    try {
      const outputs = await options.run(batch.map((entry) => entry.input));
      if (outputs.length !== batch.length) {
        throw new Error(`A batch of ${batch.length} returned ${outputs.length} outcomes.`);
      }
      batch.forEach((entry, index) => entry.resolve(outputs[index]!));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }

  return {
    submit(input) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ input, resolve, reject });
        pump();
      });
    },
  };
}

/** One batcher per key object (a connection pool), made on first use. */
export function batcherPerKey<K extends object, I, O>(make: (key: K) => MicroBatcher<I, O>): (key: K) => MicroBatcher<I, O> {
  const batchers = new WeakMap<K, MicroBatcher<I, O>>();
  return (key) => {
    let batcher = batchers.get(key);
    if (!batcher) {
      batcher = make(key);
      batchers.set(key, batcher);
    }
    return batcher;
  };
}
