/**
 * A Store wrapper for tests: every call goes to the real store, and the test may watch calls, replace methods
 * (to make a worker's heartbeat fail, say) and see which writes were refused.
 */
import type { Store } from '../../src/index.js';

type Method = {
  [K in keyof Store]: Store[K] extends (...args: never[]) => unknown ? K : never;
}[keyof Store];

/** One finished call through the wrapper. */
export interface SpiedCall {
  method: Method;
  args: unknown[];
  ok: boolean;
  /** The error code when the call was refused. */
  code?: string;
}

/** The wrapped store and what it saw. */
export interface StoreSpy {
  store: Store;
  calls: SpiedCall[];
  /** Replace a method from now on; the replacement gets the real store to delegate to. */
  override<M extends Method>(method: M, replacement: (real: Store, ...args: Parameters<Store[M]>) => ReturnType<Store[M]>): void;
  /** Listeners told after each call settles. */
  onCall(listener: (call: SpiedCall) => void): () => void;
}

/** Wraps a store. */
export function spyOnStore(real: Store): StoreSpy {
  const calls: SpiedCall[] = [];
  const overrides = new Map<string, (real: Store, ...args: unknown[]) => unknown>();
  const listeners = new Set<(call: SpiedCall) => void>();
  const record = (call: SpiedCall): void => {
    calls.push(call);
    for (const listener of listeners) listener(call);
  };
  const store = new Proxy(real, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || property === 'subscribe' || property === 'close') {
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      }
      const method = property as Method;
      return (...args: unknown[]): unknown => {
        const override = overrides.get(method);
        let result: unknown;
        try {
          result = override ? override(target, ...args) : (value as (...a: unknown[]) => unknown).apply(target, args);
        } catch (error) {
          record({ method, args, ok: false, code: (error as { code?: string }).code });
          throw error;
        }
        if (result instanceof Promise) {
          return result.then(
            (v: unknown) => {
              record({ method, args, ok: true });
              return v;
            },
            (error: unknown) => {
              record({ method, args, ok: false, code: (error as { code?: string }).code });
              throw error;
            },
          );
        }
        record({ method, args, ok: true });
        return result;
      };
    },
  });
  return {
    store,
    calls,
    override(method, replacement) {
      overrides.set(method, replacement as (real: Store, ...args: unknown[]) => unknown);
    },
    onCall(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
