/** The console's shell: login, the navigation (collapsing to a menu button on a phone) and the page of the route. */
import { useEffect, useState } from 'react';
import { SESSION_REFUSED, storedToken, storeToken } from './api';
import { LiveEventsProvider, useLiveConnected } from './live';
import { href, useRoute, type Route } from './router';
import { Approvals } from './pages/Approvals';
import { Audit } from './pages/Audit';
import { Components } from './pages/Components';
import { Login } from './pages/Login';
import { Overview } from './pages/Overview';
import { RunTimeline } from './pages/RunTimeline';
import { Runs } from './pages/Runs';

const PAGES = [
  { path: '', label: 'Overview' },
  { path: 'runs', label: 'Runs' },
  { path: 'approvals', label: 'Approvals' },
  { path: 'components', label: 'Components' },
  { path: 'audit', label: 'Audit' },
] as const;

/** The console. */
export function App() {
  const [token, setToken] = useState(storedToken);
  const [notice, setNotice] = useState<string | null>(null);
  const route = useRoute();
  useEffect(() => {
    const refused = (event: Event): void => {
      storeToken(null);
      setToken(null);
      setNotice(`You were logged out: ${(event as CustomEvent<string>).detail}`);
    };
    window.addEventListener(SESSION_REFUSED, refused);
    return () => window.removeEventListener(SESSION_REFUSED, refused);
  }, []);
  if (token === null) {
    return (
      <Login
        notice={notice}
        onLogin={() => {
          setNotice(null);
          setToken(storedToken());
        }}
      />
    );
  }
  const logOut = (): void => {
    storeToken(null);
    setToken(null);
  };
  return (
    <LiveEventsProvider>
      <Shell route={route} onLogOut={logOut} />
    </LiveEventsProvider>
  );
}

function Shell({ route, onLogOut }: { route: Route; onLogOut: () => void }) {
  const [menuOpen, setMenuOpen] = useState(false);
  const connected = useLiveConnected();
  const section = route.path[0] ?? '';
  return (
    <div className="shell">
      <header className="topbar">
        <a className="brand" href={href()}>
          Steward
        </a>
        <button type="button" className="menu-button" aria-expanded={menuOpen} aria-controls="main-nav" onClick={() => setMenuOpen(!menuOpen)}>
          Menu
        </button>
        <nav id="main-nav" aria-label="Main" className={menuOpen ? 'nav open' : 'nav'}>
          <ul>
            {PAGES.map((page) => (
              <li key={page.path}>
                <a href={href(...(page.path === '' ? [] : [page.path]))} aria-current={section === page.path ? 'page' : undefined} onClick={() => setMenuOpen(false)}>
                  {page.label}
                </a>
              </li>
            ))}
            <li>
              <button type="button" className="link" onClick={onLogOut}>
                Log out
              </button>
            </li>
          </ul>
        </nav>
        <span className={connected ? 'live-dot on' : 'live-dot'} title={connected ? 'live' : 'not connected'} aria-label={connected ? 'live updates on' : 'live updates off'} role="img" />
      </header>
      <main>
        <Page route={route} />
      </main>
    </div>
  );
}

function Page({ route }: { route: Route }) {
  const [section, id, sub] = route.path;
  switch (section) {
    case undefined:
      return <Overview />;
    case 'runs':
      return id === undefined ? <Runs params={route.params} /> : <RunTimeline key={id} id={id} />;
    case 'approvals':
      return <Approvals />;
    case 'components':
      return <Components {...(id === undefined || sub === undefined ? {} : { domain: id, componentKey: sub })} />;
    case 'audit':
      return <Audit params={route.params} />;
    default:
      return (
        <div className="page">
          <h1>Not found</h1>
          <p>
            There is no page <code>{route.path.join('/')}</code>. <a href={href()}>Go to the overview.</a>
          </p>
        </div>
      );
  }
}
