// `lagpilot run` through bin/lagpilot.js runs with the daemon's Node flags (a small young heap): the
// entry replaces itself with a Node started with them, keeping its pid, unless the flags were
// given already.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { daemonNodeFlags } from '../../bin/daemon-node-flags.js';
import { repoRoot } from '../env/paths.ts';
import { startDaemon, type DaemonProcess } from './daemon-process.ts';

const binPath = join(repoRoot, 'bin', 'lagpilot.js');

function commandLineOf(pid: number): string[] {
  return readFileSync(`/proc/${String(pid)}/cmdline`, 'utf8').split('\0').filter((part) => part !== '');
}

describe('bin/lagpilot.js run: the daemon\'s Node flags', function () {
  let daemon: DaemonProcess | undefined;

  afterEach(async function () {
    const exit = await daemon?.stop();
    daemon = undefined;
    if (exit !== undefined) expect(exit, 'the daemon stops cleanly on SIGTERM').to.deep.equal({ code: 0, signal: null });
  });

  it('starts the daemon with them, in the process that was started (same pid)', async function () {
    daemon = await startDaemon({ entryArgs: [binPath] });
    const commandLine = commandLineOf(daemon.pid);
    expect(commandLine.slice(1, 1 + daemonNodeFlags.length)).to.deep.equal([...daemonNodeFlags]);
    expect(commandLine.slice(-4)).to.deep.equal([binPath, 'run', '--config', daemon.configFile]);
  });

  it('adds none of them when NODE_OPTIONS already sets them', async function () {
    const given = daemonNodeFlags.map((flag) => `${flag.split('=')[0] ?? flag}=4`);
    daemon = await startDaemon({ entryArgs: [binPath], env: { ...process.env, NODE_OPTIONS: given.join(' ') } });
    expect(commandLineOf(daemon.pid)).to.deep.equal([process.execPath, binPath, 'run', '--config', daemon.configFile]);
  });

  it('are the flags the image\'s ENTRYPOINT starts Node with', function () {
    const dockerfile = readFileSync(join(repoRoot, 'deploy', 'Dockerfile'), 'utf8');
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
    if (entrypoint === undefined) throw new Error('deploy/Dockerfile has no exec-form ENTRYPOINT');
    expect(JSON.parse(entrypoint)).to.deep.equal(['node', ...daemonNodeFlags, 'dist/lagpilot.mjs']);
  });
});
