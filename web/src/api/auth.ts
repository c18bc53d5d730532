// API key for servers that require one: kept in sessionStorage (gone with the tab) and sent
// only as an Authorization header, never in a URL.

const KEY = 'conductor-api-key';
type Listener = () => void;
const listeners = new Set<Listener>();
let required = false;
let keyVersion = 0;

export function getApiKey(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function setApiKey(key: string | null): void {
  try {
    if (key) sessionStorage.setItem(KEY, key);
    else sessionStorage.removeItem(KEY);
  } catch {
    // Storage disabled: the key lives only as long as this page.
  }
  required = false;
  keyVersion += 1;
  emit();
}

/** Changes whenever a key is saved: effects that failed with 401 re-run on it. */
export function getKeyVersion(): number {
  return keyVersion;
}

/** Called on any 401: the UI shows the key prompt until a key is saved. */
export function markAuthRequired(): void {
  if (required) return;
  required = true;
  emit();
}

export function isAuthRequired(): boolean {
  return required;
}

export function onAuthChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function emit(): void {
  for (const listener of listeners) listener();
}
