/**
 * Caps on live (SSE) connections: per client address and in total, for this app instance. A connection holds its
 * slot until its response stream ends (the client left, or the server dropped it).
 */
export interface LiveSlots {
  /** A release function, or null when the client or the instance is at its cap. */
  acquire(clientIp: string): (() => void) | null;
  readonly total: number;
}

export function createLiveSlots(limits: { perClient: number; total: number }): LiveSlots {
  const perClient = new Map<string, number>();
  let total = 0;
  return {
    acquire(clientIp) {
      const mine = perClient.get(clientIp) ?? 0;
      if (mine >= limits.perClient || total >= limits.total) return null;
      perClient.set(clientIp, mine + 1);
      total += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        total -= 1;
        const left = (perClient.get(clientIp) ?? 1) - 1;
        if (left <= 0) perClient.delete(clientIp);
        else perClient.set(clientIp, left);
      };
    },
    get total() {
      return total;
    },
  };
}

/** `body`, calling `onEnd` once when it is fully read, fails, or the client cancels it. */
export function onStreamEnd(body: ReadableStream<Uint8Array>, onEnd: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            onEnd();
            controller.close();
          } else {
            controller.enqueue(value);
          }
        } catch (error) {
          onEnd();
          controller.error(error);
        }
      },
      async cancel(reason) {
        onEnd();
        await reader.cancel(reason).catch(() => undefined);
      },
    },
    { highWaterMark: 0 },
  );
}
