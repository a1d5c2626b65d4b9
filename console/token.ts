// The operator console's token: typed in by the operator, kept in this tab's sessionStorage only,
// and forgotten on request or when the service refuses it (with everything shown with it).
// Part of the one classic script built from console/tsconfig.json's "files".

const TOKEN_KEY = 'operator-console.token';
// Partner keys and consumer tokens have these prefixes: they never belong in this page.
const NOT_OPERATOR_TOKENS = ['apptwh_', 'apptrd_'];

function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

const tokenSection = byTestId('token-section');
const tokenForm = byTestId<HTMLFormElement>('token-form');
const tokenInput = byTestId<HTMLInputElement>('token-input');
const tokenMessage = byTestId('token-message');
const dashboard = byTestId('dashboard');
const forgetButton = byTestId<HTMLButtonElement>('forget-token');
const refreshNowButton = byTestId<HTMLButtonElement>('refresh-now');

function showSignedIn(signedIn: boolean): void {
  show(tokenSection, !signedIn);
  show(dashboard, signedIn);
  show(forgetButton, signedIn);
  show(refreshNowButton, signedIn);
  if (!signedIn) tokenInput.focus();
}

/** Drops the token and everything shown with it, and asks for a token again. */
function forgetToken(message: string | null): void {
  sessionStorage.removeItem(TOKEN_KEY);
  generation++;
  clearShownData();
  say(tokenMessage, message);
  showSignedIn(false);
  // Readiness is public: it keeps being refreshed while the page waits for a token.
  schedule();
}

tokenForm.addEventListener('submit', (submitted) => {
  submitted.preventDefault();
  const value = tokenInput.value.trim();
  tokenInput.value = '';
  if (value === '') return say(tokenMessage, 'Enter the operator token.');
  if (NOT_OPERATOR_TOKENS.some((prefix) => value.startsWith(prefix))) {
    return say(tokenMessage, 'That is a partner key or a consumer token, not the operator token: it was not used or kept.');
  }
  sessionStorage.setItem(TOKEN_KEY, value);
  say(tokenMessage, null);
  showSignedIn(true);
  void refresh();
});

forgetButton.addEventListener('click', () => forgetToken('The token is forgotten.'));
