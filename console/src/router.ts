/** Hash routing: `#/runs/ID` and the like, so that every page has a link and the server needs one index.html. */
import { useEffect, useState } from 'react';

/** The route of a hash: its path segments and its query. */
export interface Route {
  path: string[];
  params: URLSearchParams;
}

/** Parses `#/runs/abc?status=failed`. */
export function parseHash(hash: string): Route {
  const text = hash.replace(/^#\/?/, '');
  const [path = '', search = ''] = text.split('?', 2);
  return { path: path.split('/').filter((s) => s !== '').map(decodeURIComponent), params: new URLSearchParams(search) };
}

/** The current route, following hash changes. */
export function useRoute(): Route {
  const [hash, setHash] = useState(() => window.location.hash);
  useEffect(() => {
    const onChange = (): void => setHash(window.location.hash);
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return parseHash(hash);
}

/** The href of a route. */
export function href(...segments: string[]): string {
  return `#/${segments.map(encodeURIComponent).join('/')}`;
}

/** Goes to a route. */
export function navigate(...segments: string[]): void {
  window.location.hash = href(...segments);
}
