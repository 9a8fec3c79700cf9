export declare const daemonNodeFlags: readonly string[];
