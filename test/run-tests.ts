// The test command (`npm test`): starts the shared local environment once through the env entry
// point, then runs every unit and integration test in one mocha run against it, and ends with
// one summary line: "N passed, N failed, N skipped". A skipped test fails the run: a skipped
// test is a feature nobody checked.
//
//   npm test                      everything
//   npm test -- --unit            unit tests only (no services)
//   npm test -- --grep PATTERN    only tests whose title matches
import Mocha from 'mocha';
import { globSync } from 'node:fs';
import { join, relative } from 'node:path';
import { defaultServices, ensureService } from './env/environment.ts';
import { repoRoot } from './env/paths.ts';

interface Options {
  unitOnly: boolean;
  grep?: string;
}

function parseArguments(argv: string[]): Options {
  const options: Options = { unitOnly: false };
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index];
    if (argument === '--unit') options.unitOnly = true;
    else if (argument === '--grep') options.grep = argv[(index += 1)];
    else throw new Error(`unknown argument "${argument ?? ''}" (use --unit, --grep PATTERN)`);
  }
  return options;
}

async function startSharedEnvironment(): Promise<boolean> {
  let allUp = true;
  for (const name of defaultServices) {
    const startedAt = Date.now();
    try {
      await ensureService(name);
      console.log(`env: ${name} up in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    } catch (error) {
      allUp = false;
      console.error(`env: ${name} FAILED to start after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
      console.error(error instanceof Error ? error.message : String(error));
    }
  }
  return allUp;
}

function testFiles(unitOnly: boolean): string[] {
  const patterns = unitOnly ? ['src/**/*.test.ts'] : ['src/**/*.test.ts', 'test/**/*.test.ts'];
  return patterns
    .flatMap((pattern) => globSync(pattern, { cwd: repoRoot }))
    .sort()
    .map((file) => join(repoRoot, file));
}

async function main(): Promise<number> {
  const options = parseArguments(process.argv.slice(2));
  console.log(`lagpilot tests on Node.js ${process.version} (${process.execPath})`);

  const environmentStartedAt = Date.now();
  // A service that cannot start is not skipped: its suites run and fail with the service's log.
  const environmentUp = options.unitOnly ? true : await startSharedEnvironment();
  if (!options.unitOnly) {
    console.log(`env: shared environment ${environmentUp ? 'ready' : 'INCOMPLETE'} in ${((Date.now() - environmentStartedAt) / 1000).toFixed(1)} s`);
  }

  const mocha = new Mocha({ timeout: 120_000, slow: 5_000, reporter: 'spec', color: false });
  if (options.grep !== undefined) mocha.grep(options.grep);
  const files = testFiles(options.unitOnly);
  for (const file of files) mocha.addFile(file);
  console.log(`running ${files.length} test files: ${files.map((file) => relative(repoRoot, file)).join(', ')}`);
  await mocha.loadFilesAsync();

  const counts = { passed: 0, failed: 0, skipped: 0 };
  await new Promise<void>((resolveRun) => {
    const runner = mocha.run(() => { resolveRun(); });
    runner.on('pass', () => { counts.passed += 1; });
    runner.on('fail', () => { counts.failed += 1; });
    runner.on('pending', () => { counts.skipped += 1; });
  });

  console.log(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  if (counts.skipped > 0) console.error('skipped tests fail the run: every test must run');
  if (counts.passed === 0) console.error('no test passed: nothing was checked');
  return counts.failed === 0 && counts.skipped === 0 && counts.passed > 0 ? 0 : 1;
}

// Exit explicitly: a client a test left open must not keep the run alive (mocha's --exit).
process.exit(await main());
