/**
 * One live subscription to `/v1/events` for the whole console: pages register listeners and refresh when an event
 * they care about arrives, so that no page needs a reload to show new state.
 */
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { openEventStream } from './sse';
import type { EventRecord } from './types';

type Listener = (event: EventRecord) => void;

interface LiveEvents {
  subscribe: (listener: Listener) => () => void;
  connected: boolean;
}

const LiveContext = createContext<LiveEvents>({ subscribe: () => () => undefined, connected: false });

/** Holds the stream open while the console is logged in. */
export function LiveEventsProvider({ children }: { children: ReactNode }) {
  const listeners = useRef(new Set<Listener>());
  const [connected, setConnected] = useState(false);
  const [value] = useState<Pick<LiveEvents, 'subscribe'>>(() => ({
    subscribe: (listener: Listener) => {
      listeners.current.add(listener);
      return () => listeners.current.delete(listener);
    },
  }));
  useEffect(
    () =>
      openEventStream('/v1/events', {
        onOpen: () => setConnected(true),
        onError: () => setConnected(false),
        onEvent: (event) => {
          for (const listener of [...listeners.current]) listener(event);
        },
      }),
    [],
  );
  return <LiveContext.Provider value={{ ...value, connected }}>{children}</LiveContext.Provider>;
}

/** Whether the live stream is open. */
export function useLiveConnected(): boolean {
  return useContext(LiveContext).connected;
}

/**
 * Calls `refresh` (at most every 200 ms) after each live event that `matches` accepts (every event when omitted).
 */
export function useLiveRefresh(refresh: () => void, matches?: (event: EventRecord) => boolean): void {
  const { subscribe } = useContext(LiveContext);
  const latest = useRef({ refresh, matches });
  latest.current = { refresh, matches };
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const unsubscribe = subscribe((event) => {
      const { matches: accept } = latest.current;
      if (accept !== undefined && !accept(event)) return;
      if (timer !== null) return;
      timer = setTimeout(() => {
        timer = null;
        latest.current.refresh();
      }, 200);
    });
    return () => {
      unsubscribe();
      if (timer !== null) clearTimeout(timer);
    };
  }, [subscribe]);
}

/**
 * Calls `refresh` every `ms` while the tab is visible: for state that changes without an event (a component swapped or
 * drained in another process, its in-flight count).
 */
export function usePolling(refresh: () => void, ms: number): void {
  const latest = useRef(refresh);
  latest.current = refresh;
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') latest.current();
    }, ms);
    return () => clearInterval(timer);
  }, [ms]);
}
