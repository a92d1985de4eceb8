/** Login: a bearer token pasted in, checked against `GET /v1/overview`, then kept in this tab's sessionStorage. */
import { useState, type FormEvent } from 'react';
import { api, storeToken } from '../api';
import { ErrorText, useAction } from '../ui';

/** The login page; `onLogin` is called once the token is known good; `notice` says why the last session ended. */
export function Login({ onLogin, notice = null }: { onLogin: () => void; notice?: string | null }) {
  const [token, setToken] = useState('');
  const action = useAction();
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const secret = token.trim();
    const ok = await action.run(async () => {
      if (secret === '') throw new Error('paste a token: `steward tokens create --principal … --role …` prints one');
      await api('GET', '/v1/overview', undefined, secret);
    });
    if (ok) {
      storeToken(secret);
      onLogin();
    }
  };
  return (
    <main className="login">
      <form className="panel login-form" onSubmit={(e) => void submit(e)} aria-label="Log in">
        <h1>Steward</h1>
        {notice !== null && action.error === null && (
          <p className="error" role="status">
            {notice}
          </p>
        )}
        <p className="muted">Paste an API token. It is kept in this tab only, until you log out or close it.</p>
        <label>
          API token
          <input type="password" name="token" autoComplete="off" spellCheck={false} value={token} onChange={(e) => setToken(e.target.value)} placeholder="stw_…" />
        </label>
        <ErrorText error={action.error} />
        <button type="submit" disabled={action.busy}>
          Log in
        </button>
      </form>
    </main>
  );
}
