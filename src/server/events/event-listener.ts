/**
 * One LISTEN connection per app instance, fanned out to every live subscriber of that instance. NOTIFY is sent
 * by the transaction that changed state (see publish-event.ts), so every instance hears every change, whichever
 * instance made it. The connection reconnects with back-off; subscribers then catch up from the Event table.
 */
import { EventEmitter } from "node:events";
import pg from "pg";
import { EVENTS_CHANNEL } from "@/server/services/events/publish-event";

export interface LiveEvent {
  id: string;
  kind: string;
  taskId: string | null;
  modelId: string | null;
}

export class EventListener {
  readonly emitter = new EventEmitter();
  private client: pg.Client | null = null;
  private connecting: Promise<void> | null = null;
  private retryMs = 500;
  private isClosed = false;

  constructor(private readonly connectionString: string) {
    this.emitter.setMaxListeners(0);
  }

  /** Resolves once LISTEN is active. */
  ensureConnected(): Promise<void> {
    if (this.client) return Promise.resolve();
    return (this.connecting ??= this.connect().finally(() => (this.connecting = null)));
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on("notification", (message) => {
      if (message.channel !== EVENTS_CHANNEL || !message.payload) return;
      try {
        this.emitter.emit("event", JSON.parse(message.payload) as LiveEvent);
      } catch (error) {
        console.error("[live] ignoring a malformed notification:", error);
      }
    });
    client.on("error", (error) => {
      console.error(`[live] LISTEN connection lost (${error.message}); reconnecting`);
      this.client = null;
      void client.end().catch(() => undefined);
      this.emitter.emit("reconnect");
      this.scheduleReconnect();
    });
    await client.connect();
    await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    this.client = client;
    this.retryMs = 500;
  }

  private scheduleReconnect(): void {
    if (this.isClosed) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, 15_000);
    setTimeout(() => {
      this.ensureConnected().catch((error: Error) => {
        console.error(`[live] reconnect failed (${error.message})`);
        this.scheduleReconnect();
      });
    }, delay).unref();
  }

  async close(): Promise<void> {
    this.isClosed = true;
    await this.client?.end();
    this.client = null;
  }
}

const globalForListener = globalThis as unknown as { quorumEventListener?: EventListener };

export function getEventListener(): EventListener {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set");
  return (globalForListener.quorumEventListener ??= new EventListener(url));
}
