#!/usr/bin/env node
// lagpilot's command-line entry. lagpilot runs its TypeScript sources directly on Node.js 24
// (built-in type stripping). When this file is started by an older Node (e.g. a system Node
// picked up by the shebang), it re-runs itself on the Node 24 the project pins in node_modules.
// `lagpilot run` gets the daemon's heap flags (bin/daemon-node-flags.js) unless the command
// line or NODE_OPTIONS already sets them: they only take effect when Node starts, so this
// process replaces itself with one started with them (same pid, so signals reach the daemon).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { daemonNodeFlags } from './daemon-node-flags.js';

const here = dirname(fileURLToPath(import.meta.url));
const thisFile = fileURLToPath(import.meta.url);
const cliPath = join(here, '..', 'src', 'cli.ts');
const major = Number(process.versions.node.split('.')[0]);
const cliArgs = process.argv.slice(2);

/** The daemon flags not yet given, by name, on this Node's command line or in NODE_OPTIONS. */
function missingDaemonFlags() {
  if (cliArgs[0] !== 'run') return [];
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].map((flag) => flag.split('=')[0]);
  return daemonNodeFlags.filter((flag) => !given.includes(flag.split('=')[0]));
}

if (major >= 24) {
  const missing = missingDaemonFlags();
  if (missing.length > 0 && typeof process.execve === 'function') {
    process.execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, thisFile, ...cliArgs], process.env);
  }
  await import(cliPath);
} else {
  const pinnedNode = join(here, '..', 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(pinnedNode)) {
    console.error(`lagpilot needs Node.js 24 (this is ${process.version}); run "npm ci" to install the pinned one.`);
    process.exit(1);
  }
  const child = spawn(pinnedNode, [...missingDaemonFlags(), cliPath, ...cliArgs], { stdio: 'inherit' });
  // Pass stop signals on: `lagpilot run` shuts down gracefully on them, and without this a
  // SIGTERM sent to this wrapper would end it alone and leave the daemon running.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
    process.on(signal, () => { child.kill(signal); });
  }
  child.on('exit', (code, signal) => { process.exit(code ?? (signal === null ? 1 : 128)); });
}
