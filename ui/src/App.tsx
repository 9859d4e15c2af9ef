import { useEffect, useRef, useState } from 'react';
import { credential, onUnauthorized } from './api/client';
import { ConnectionBanner } from './components/ConnectionBanner';
import { LiveProvider, useLive } from './live/LiveProvider';
import { href, useRoute, type Route } from './router';
import { CatalogPage, DescriptorPage } from './pages/Catalog';
import { NodePage } from './pages/NodeDetail';
import { OnboardPage } from './pages/Onboard';
import { OperationsPage } from './pages/Operations';
import { OverviewPage } from './pages/Overview';
import { SignIn } from './pages/SignIn';
import { SubscriberPage, SubscribersPage } from './pages/Subscribers';

export function App() {
  const [signedIn, setSignedIn] = useState(() => credential.get() !== null);
  const [message, setMessage] = useState<string | null>(null);
  useEffect(
    () =>
      onUnauthorized((m) => {
        setMessage(m);
        setSignedIn(false);
      }),
    [],
  );
  if (!signedIn) {
    return (
      <SignIn
        message={message}
        onSignedIn={() => {
          setMessage(null);
          setSignedIn(true);
        }}
      />
    );
  }
  return (
    <LiveProvider>
      <Shell
        onSignOut={() => {
          credential.clear();
          setMessage('Signed out.');
          setSignedIn(false);
        }}
      />
    </LiveProvider>
  );
}

const NAV: { href: string; label: string; pages: Route['page'][] }[] = [
  { href: href.overview, label: 'Overview', pages: ['overview', 'node'] },
  { href: href.catalog, label: 'Catalog', pages: ['catalog', 'descriptor', 'onboard'] },
  { href: href.operations, label: 'Operations', pages: ['operations'] },
  { href: href.subscribers, label: 'Subscribers', pages: ['subscribers', 'subscriber'] },
];

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const route = useRoute();
  const { status } = useLive();
  const main = useRef<HTMLElement>(null);
  useEffect(() => {
    // move focus to the page on navigation, so keyboard and screen-reader users start at its heading
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [route]);
  return (
    <>
      <a className="skip" href="#main" onClick={(e) => { e.preventDefault(); main.current?.querySelector<HTMLElement>('h1')?.focus(); }}>
        Skip to content
      </a>
      <header className="container-fluid topbar">
        <nav aria-label="Main">
          <ul>
            <li>
              <strong className="brand">Mayfly</strong>
            </li>
            {NAV.map((n) => (
              <li key={n.href}>
                <a href={n.href} aria-current={n.pages.includes(route.page) ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
          <ul>
            <li>
              <ConnectionBanner status={status} />
            </li>
            <li>
              <button type="button" className="outline secondary small" onClick={onSignOut}>
                Sign out
              </button>
            </li>
          </ul>
        </nav>
      </header>
      <main id="main" className="container-fluid" ref={main}>
        <Page route={route} />
      </main>
    </>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'overview':
      return <OverviewPage />;
    case 'node':
      return <NodePage id={route.id} />;
    case 'catalog':
      return <CatalogPage />;
    case 'descriptor':
      return <DescriptorPage name={route.name} />;
    case 'onboard':
      return <OnboardPage />;
    case 'operations':
      return <OperationsPage />;
    case 'subscribers':
      return <SubscribersPage />;
    case 'subscriber':
      return <SubscriberPage id={route.id} />;
    default:
      return (
        <section>
          <h1 tabIndex={-1}>Not found</h1>
          <p>
            No page at <code>{route.path}</code>. Go to the <a href={href.overview}>overview</a>.
          </p>
        </section>
      );
  }
}
