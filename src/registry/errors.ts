/** The errors of the provider registry: each with a stable code listed in docs/errors.md. */
import { ErrorCodes, StewardError, type StewardErrorOptions } from '../errors.js';

/** A candidate, a selection, a swap's options or the stack order that does not fit; nothing was changed. */
export class ProviderInvalidError extends StewardError {
  override readonly retryable = false;
  constructor(message: string, options: StewardErrorOptions = {}) {
    super(ErrorCodes.PROVIDER_INVALID, message, options);
  }
}

/** A (domain, key) with no candidate, or a provider that is not registered under it. */
export class ProviderNotFoundError extends StewardError {
  override readonly retryable = false;
  constructor(domain: string, key: string, provider: string | null, registered: readonly string[]) {
    const known = registered.length > 0 ? `registered: ${registered.join(', ')}` : 'none is registered';
    const message =
      provider === null
        ? `no provider is registered for ${domain}/${key}: register one with registry.register({ domain: '${domain}', key: '${key}', ... })`
        : `provider "${provider}" is not registered for ${domain}/${key} (${known}): register it first or pick a registered one`;
    super(ErrorCodes.PROVIDER_NOT_FOUND, message, { details: { domain, key, provider, registered: [...registered] } });
  }
}

/** No instance of a component could be activated for a use: its factory or its health check failed. */
export class ProviderUnavailableError extends StewardError {
  constructor(domain: string, key: string, provider: string, reason: string, options: StewardErrorOptions = {}) {
    super(
      ErrorCodes.PROVIDER_UNAVAILABLE,
      `${domain}/${key} has no active instance: activating provider "${provider}" failed (${reason}); ` +
        `fix the provider or select another with registry.select('${domain}', '${key}', PROVIDER), then use it again`,
      { ...options, details: { domain, key, provider, reason, ...options.details } },
    );
  }
}

/** A use waited for a paused component longer than it may, or was told not to wait. */
export class ProviderPausedError extends StewardError {
  constructor(domain: string, key: string, waitedMs: number) {
    const waited = waitedMs > 0 ? `did not resume within ${waitedMs} ms` : 'is paused and the use was told not to wait (waitMs: 0)';
    super(ErrorCodes.PROVIDER_PAUSED, `${domain}/${key} ${waited}: resume it with registry.resume('${domain}', '${key}') or wait longer (waitMs)`, {
      details: { domain, key, waitedMs },
    });
  }
}

/** A swap failed before the new instance was activated; the previous instance stayed active. */
export class ProviderSwapFailedError extends StewardError {
  constructor(domain: string, key: string, provider: string, stage: string, reason: string, options: StewardErrorOptions = {}) {
    super(
      ErrorCodes.PROVIDER_SWAP_FAILED,
      `swap of ${domain}/${key} to provider "${provider}" failed at ${stage} (${reason}); the previous instance stays active — ` +
        `fix the provider and swap again (registry.history('${domain}', '${key}') keeps the outcome)`,
      { ...options, details: { domain, key, provider, stage, reason, ...options.details } },
    );
  }
}

/** An `onBeforeSwap` hook vetoed a swap; nothing was created or changed. */
export class ProviderSwapVetoedError extends StewardError {
  override readonly retryable = false;
  constructor(domain: string, key: string, provider: string, reason: string, options: StewardErrorOptions = {}) {
    super(
      ErrorCodes.PROVIDER_SWAP_VETOED,
      `swap of ${domain}/${key} to provider "${provider}" was vetoed by an onBeforeSwap hook: ${reason}; nothing changed`,
      { ...options, details: { domain, key, provider, reason } },
    );
  }
}

/** `drain` waited longer than its bound for in-flight uses to finish; the component stays paused. */
export class ProviderDrainTimeoutError extends StewardError {
  constructor(domain: string, key: string, timeoutMs: number, inFlight: number) {
    super(
      ErrorCodes.PROVIDER_DRAIN_TIMEOUT,
      `${domain}/${key} still had ${inFlight} use(s) in flight after ${timeoutMs} ms of draining; it stays paused — ` +
        `wait longer (drain with a larger timeoutMs) or find the use that does not release its lease`,
      { details: { domain, key, timeoutMs, inFlight } },
    );
  }
}
