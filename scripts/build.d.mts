// Types for the parts of build.mjs that TypeScript code (bench/, test/e2e/) imports.
export declare function bundleClis(outdir: string): Promise<void>;
export declare function buildAll(options?: { web?: boolean }): Promise<void>;
