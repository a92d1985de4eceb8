/** The options of `createRegistry` and of a swap, parsed once with zod into frozen config. */
import { z } from 'zod';
import { formatIssues } from '../errors.js';
import { systemClock, type Clock } from '../domain/clock.js';
import { ProviderInvalidError } from './errors.js';
import type { LifecycleBounds } from './lifecycle.js';
import { parseStackOrder, type StackOrder } from './stack-order.js';

const ms = (max: number) => z.number().int('must be a whole number of milliseconds').min(1, 'must be at least 1 ms').max(max, `must be at most ${max} ms`);

const boundsShape = {
  /** How long a factory may take (default 30 s). */
  initTimeoutMs: ms(3_600_000).optional(),
  /** How long a health check may take (default 5 s). */
  healthTimeoutMs: ms(3_600_000).optional(),
  /** How long a swap waits for the old instance's in-flight uses before it leaves them to finish (default 10 s). */
  drainTimeoutMs: ms(3_600_000).optional(),
};

const registrySchema = z
  .object({
    ...boundsShape,
    /** Sources and provider names, earlier = higher stack level; default `STEWARD_STACK_ORDER` of `env`. */
    stackOrder: z.union([z.string(), z.array(z.string())]).optional(),
    /** Where `STEWARD_STACK_ORDER` is read from (default `process.env`). */
    env: z.record(z.string(), z.string().optional()).optional(),
    /** How long a use waits for a paused component before it fails (default 5 s; 0 fails at once). */
    pauseWaitMs: z.number().int().min(0).max(3_600_000).optional(),
    /** Swap records kept per component (default 100). */
    historyLimit: z.number().int().min(1).max(100_000).optional(),
    clock: z.custom<Clock>((v) => typeof v === 'object' && v !== null && typeof (v as Clock).now === 'function', { message: 'expected a clock: { now(): number }' }).optional(),
  })
  .strict();

const swapSchema = z.object(boundsShape).strict();

/** What `createRegistry` accepts. */
export type RegistryOptions = z.input<typeof registrySchema>;
/** What `swap` accepts besides the provider. */
export type SwapOptions = z.input<typeof swapSchema>;

/** The registry's resolved, frozen options. */
export interface RegistryConfig {
  readonly bounds: Readonly<LifecycleBounds>;
  readonly stackOrder: StackOrder;
  readonly pauseWaitMs: number;
  readonly historyLimit: number;
  readonly clock: Clock;
}

const DEFAULT_BOUNDS: LifecycleBounds = { initTimeoutMs: 30_000, healthTimeoutMs: 5_000, drainTimeoutMs: 10_000 };

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const parsed = schema.safeParse(input ?? {});
  if (!parsed.success) throw new ProviderInvalidError(`invalid ${what}: ${formatIssues(parsed.error.issues, what)}`, { cause: parsed.error });
  return parsed.data;
}

/** Parses the registry's options, or throws naming each bad one. */
export function resolveRegistryOptions(options: RegistryOptions | undefined): RegistryConfig {
  const o = parse(registrySchema, options, 'registry options');
  const env = o.env ?? process.env;
  return Object.freeze({
    bounds: Object.freeze({
      initTimeoutMs: o.initTimeoutMs ?? DEFAULT_BOUNDS.initTimeoutMs,
      healthTimeoutMs: o.healthTimeoutMs ?? DEFAULT_BOUNDS.healthTimeoutMs,
      drainTimeoutMs: o.drainTimeoutMs ?? DEFAULT_BOUNDS.drainTimeoutMs,
    }),
    stackOrder: parseStackOrder(o.stackOrder ?? env.STEWARD_STACK_ORDER),
    pauseWaitMs: o.pauseWaitMs ?? 5_000,
    historyLimit: o.historyLimit ?? 100,
    clock: o.clock ?? systemClock,
  });
}

/** A swap's bounds: its own options over the registry's. */
export function resolveSwapBounds(options: SwapOptions | undefined, defaults: Readonly<LifecycleBounds>): LifecycleBounds {
  const o = parse(swapSchema, options, 'swap options');
  return {
    initTimeoutMs: o.initTimeoutMs ?? defaults.initTimeoutMs,
    healthTimeoutMs: o.healthTimeoutMs ?? defaults.healthTimeoutMs,
    drainTimeoutMs: o.drainTimeoutMs ?? defaults.drainTimeoutMs,
  };
}
