// Types for scripts/nodes.mjs (imported by the TypeScript tests).
export declare const ROOT: string;
export declare const NODE_LINES: Record<22 | 24 | 26, string>;
export declare const NODE_CACHE: string;
export declare function nodeBinary(major: 22 | 24 | 26 | string, opts?: { log?: (message: string) => void }): Promise<string>;
