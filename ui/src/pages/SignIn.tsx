import { useState, type FormEvent } from 'react';
import { api, credential } from '../api/client';
import { ApiError } from '../api/problem';

/** Sign in with the admin credential `./mayfly up` prints; checked against the API before it is kept. */
export function SignIn({ message, onSignedIn }: { message: string | null; onSignedIn: () => void }) {
  const [user, setUser] = useState('admin');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!password) {
      setError('Enter the password (./mayfly up prints it; it is also in $MAYFLY_HOME/admin-password).');
      return;
    }
    setBusy(true);
    setError(null);
    const basic = btoa(unescape(encodeURIComponent(`${user}:${password}`)));
    try {
      await api.verify(basic);
      credential.set(user, password);
      onSignedIn();
    } catch (err) {
      const status = err instanceof ApiError ? err.status : 0;
      setError(status === 401 ? 'User or password is wrong.' : (err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="container signin">
      <article>
        <header>
          <h1 tabIndex={-1}>Mayfly dashboard</h1>
          <p className="muted">Sign in with the credential <code>./mayfly up</code> printed.</p>
        </header>
        {message ? (
          <p role="alert" className="notice" data-testid="signin-message">
            {message}
          </p>
        ) : null}
        <form onSubmit={submit} noValidate>
          <label htmlFor="user">User</label>
          <input id="user" name="user" autoComplete="username" value={user} onChange={(e) => setUser(e.target.value)} />
          <label htmlFor="password">Password</label>
          <input
            id="password"
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? 'signin-error' : undefined}
            onChange={(e) => setPassword(e.target.value)}
            autoFocus
          />
          {error ? (
            <small id="signin-error" className="field-error" role="alert">
              {error}
            </small>
          ) : null}
          <button type="submit" aria-busy={busy} disabled={busy}>
            Sign in
          </button>
        </form>
      </article>
    </main>
  );
}
