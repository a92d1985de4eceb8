/**
 * The store's one listening connection: LISTENs on the schema's channel and turns the notifications of every
 * process into StoreNotices, a burst at a time. When the connection breaks it reconnects with exponential backoff
 * and jitter, LISTENs again, and says so, so that the store can tell its listeners to look again for what they may
 * have missed while it was away.
 */
import pg from 'pg';
import type { StoreNotice } from '../store.js';
import { clientConfig, quoteIdentifier } from './connection.js';
import type { ConnectionHealth } from './health.js';
import { collapseNotices, parseNotification } from './notices.js';
import type { PostgresSettings } from './settings.js';

/** What the listener reports. */
export interface ListenerHandlers {
  /** Notices that arrived together, collapsed. */
  notices(notices: StoreNotice[]): void;
  /** The connection was lost and is back; notifications sent in between were not heard. */
  reconnected(): void;
}

/** A connection that stays open without keeping the process alive (pg's Client has `unref`, its typings do not). */
function unref(client: pg.Client): void {
  const handle = client as unknown as { unref?: () => void };
  if (typeof handle.unref === 'function') handle.unref();
}

/** Listens to one channel and keeps listening across connection loss. */
export class NotificationListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private buffer: StoreNotice[] = [];
  private flushScheduled = false;

  constructor(
    private readonly settings: PostgresSettings,
    private readonly channel: string,
    private readonly health: ConnectionHealth,
    private readonly handlers: ListenerHandlers,
  ) {}

  /** Connects and listens; rejects when the first connection fails. */
  async start(): Promise<void> {
    this.client = await this.connect();
  }

  /** Stops listening and reconnecting. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client(clientConfig(this.settings));
    // a broken connection emits 'error' (and 'end'); either starts the reconnection, and an error unheard would crash the process
    client.on('error', (error) => this.onLost(client, error));
    client.on('end', () => this.onLost(client, new Error('the listening connection ended')));
    client.on('notification', (message) => {
      if (message.channel === this.channel && message.payload !== undefined) this.onPayload(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdentifier(this.channel)}`);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw error;
    }
    unref(client);
    return client;
  }

  private onPayload(payload: string): void {
    const notice = parseNotification(payload);
    if (notice === null) return;
    this.buffer.push(notice);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const burst = this.buffer;
      this.buffer = [];
      if (!this.stopped) this.handlers.notices(collapseNotices(burst));
    });
  }

  private onLost(client: pg.Client, error: Error): void {
    if (this.stopped || client !== this.client) return;
    this.client = null;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    // the first attempt goes at once: a connection terminated on a server that is up comes back at once
    this.reconnect(error);
  }

  private reconnect(cause: Error): void {
    if (this.stopped) return;
    if (this.failures === 0) {
      this.failures = 1;
      void this.attempt(cause);
      return;
    }
    this.health.down(cause);
    const { baseMs, maxMs } = this.settings.reconnectBackoff;
    const delay = Math.min(maxMs, baseMs * 2 ** Math.min(this.failures - 1, 20));
    this.retryTimer = setTimeout(() => void this.attempt(cause), delay / 2 + Math.random() * (delay / 2));
    this.retryTimer.unref();
  }

  private async attempt(cause: Error): Promise<void> {
    let client: pg.Client;
    try {
      client = await this.connect();
    } catch (error) {
      this.failures += 1;
      this.reconnect(error instanceof Error ? error : cause);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.failures = 0;
    this.health.up();
    this.handlers.reconnected();
  }
}
