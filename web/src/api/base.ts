// Where the app is mounted (from <base>, set in index.html) and where the API lives.

/** Router basename: the mount path without the trailing slash ('' at the root). */
export function appBasePath(): string {
  return new URL(document.baseURI).pathname.replace(/\/+$/, '');
}

/** Absolute URL of an API path such as `api/v1/runs`. The UI may also be served at /ui/,
 * whose API is at the server root. */
export function apiUrl(path: string, query?: Record<string, string | number | undefined>): string {
  const base = new URL(document.baseURI);
  base.pathname = base.pathname.replace(/ui\/$/, '');
  base.search = '';
  base.hash = '';
  const url = new URL(path.replace(/^\//, ''), base);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
  }
  return url.toString();
}
