import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installOnce } from './cache-install.ts';

describe('installOnce', () => {
  let parent: string;
  let finalDir: string;
  const complete = (): boolean => existsSync(join(finalDir, 'done'));

  beforeEach(() => {
    parent = mkdtempSync(join(tmpdir(), 'lagpilot-cache-install-'));
    finalDir = join(parent, 'tool-1.0.0');
  });
  afterEach(() => {
    rmSync(parent, { recursive: true, force: true });
  });

  it('fills the folder through a staging folder and leaves nothing else behind', async () => {
    await installOnce(finalDir, complete, (stagingDir) => {
      writeFileSync(join(stagingDir, 'done'), 'yes');
      return Promise.resolve();
    });
    expect(readFileSync(join(finalDir, 'done'), 'utf8')).to.equal('yes');
    expect(readdirSync(parent)).to.deep.equal(['tool-1.0.0']);
  });

  it('does not run the install when the folder is already complete', async () => {
    mkdirSync(finalDir);
    writeFileSync(join(finalDir, 'done'), 'old');
    let filled = false;
    await installOnce(finalDir, complete, () => {
      filled = true;
      return Promise.resolve();
    });
    expect(filled).to.equal(false);
    expect(readFileSync(join(finalDir, 'done'), 'utf8')).to.equal('old');
  });

  it('replaces an incomplete leftover and clears staging folders of installers that are gone', async () => {
    mkdirSync(finalDir);
    writeFileSync(join(finalDir, 'half'), '');
    // No process has pid 2^22 + 1 on Linux (pid_max is at most 2^22).
    mkdirSync(join(parent, 'tool-1.0.0.partial-4194305-1'));
    await installOnce(finalDir, complete, (stagingDir) => {
      writeFileSync(join(stagingDir, 'done'), 'new');
      return Promise.resolve();
    });
    expect(readdirSync(finalDir)).to.deep.equal(['done']);
    expect(readdirSync(parent)).to.deep.equal(['tool-1.0.0']);
  });

  it('leaves no folder that looks installed when the install fails, and says so', async () => {
    let failure: unknown;
    try {
      await installOnce(finalDir, complete, () => Promise.reject(new Error('download refused')));
    } catch (error) {
      failure = error;
    }
    expect(String(failure)).to.contain('download refused');
    expect(readdirSync(parent)).to.deep.equal([]);
  });

  it('throws naming the folder when the install wrote the wrong thing', async () => {
    let failure: unknown;
    try {
      await installOnce(finalDir, complete, (stagingDir) => {
        writeFileSync(join(stagingDir, 'other'), '');
        return Promise.resolve();
      });
    } catch (error) {
      failure = error;
    }
    expect(String(failure)).to.contain(finalDir).and.to.contain('missing');
  });
});
