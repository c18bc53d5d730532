declare const __CONDUCTOR_VERSION__: string | undefined;

/** Package version, injected by the build (scripts/build.mjs). */
export const VERSION: string =
  typeof __CONDUCTOR_VERSION__ === 'string' ? __CONDUCTOR_VERSION__ : '0.0.0-dev';
