// Where the app is mounted (from <base>, set in index.html) and where the API lives.

/** Router basename: the mount path without the trailing slash ('' at the root). */
export function appBasePath(): string {
  const base = new URL(document.baseURI).pathname.replace(/\/+$/, '');
  // Served at /ui/ too (compat): routes live under /ui while assets and API do not.
  const ui = `${base}/ui`;
  return location.pathname === ui || location.pathname.startsWith(`${ui}/`) ? ui : base;
}

/** Absolute URL of an API path such as `api/v1/runs`, relative to the mount point. */
export function apiUrl(path: string, query?: Record<string, string | number | undefined>): string {
  const base = new URL(document.baseURI);
  base.search = '';
  base.hash = '';
  const url = new URL(path.replace(/^\//, ''), base);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
  }
  return url.toString();
}
