/**
 * Whether PostgreSQL is reachable, as the store last saw it. An outage is logged once when it starts and once when
 * it ends, however many operations and reconnection attempts fail in between.
 */
import type { Logger } from '../../observability/logger.js';

/** Tracks outages of one store's database. */
export class ConnectionHealth {
  private downSince: number | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly location: string,
  ) {}

  /** Whether the last attempt to reach the database failed. */
  get isDown(): boolean {
    return this.downSince !== null;
  }

  /** Notes a failure to reach the database; logs only the first of an outage. */
  down(error: unknown): void {
    if (this.downSince !== null) return;
    this.downSince = Date.now();
    this.logger.warn(
      { store: this.location, err: error instanceof Error ? error.message : String(error) },
      'PostgreSQL is unreachable: store operations fail until it is back; reconnecting with backoff',
    );
  }

  /** Notes that the database answered; logs the end of an outage. */
  up(): void {
    if (this.downSince === null) return;
    const downForMs = Date.now() - this.downSince;
    this.downSince = null;
    this.logger.info({ store: this.location, downForMs }, 'PostgreSQL is reachable again');
  }
}
