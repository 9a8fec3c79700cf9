// The production bundle: dist/lagpilot.mjs, its chunks under dist/chunks/ and their source maps:
// lagpilot and every runtime dependency as ESM, so the image ships no node_modules and Node 24
// parses plain JavaScript instead of stripping types from hundreds of .ts files at each start.
// What lagpilot imports with import() when a config needs it (the Kubernetes client, ioredis,
// each actuator kind) becomes a chunk of its own that is read only then: one single file would
// make every start parse all of it (12 MiB, 75 -> 109 MiB RSS for --version alone).
//
//   node scripts/build.ts [--outdir dist] [--metafile]
//
// `--metafile` also writes dist/meta.json (what each package adds to the bundle).
import { readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build, type BuildOptions, type Plugin } from 'esbuild';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const bundleFileName = 'lagpilot.mjs';

/**
 * Packages that load a file beside their own code at run time, replaced by a variant that
 * carries it inline. @platformatic/wasm-utils (LZ4, Snappy, CRC32C for the Kafka client) reads
 * dist/native.wasm relative to its own module, which a bundle no longer has; its "bundled"
 * export holds the same WebAssembly as base64.
 */
const selfContainedVariants: Record<string, string> = {
  '@platformatic/wasm-utils': '@platformatic/wasm-utils/bundled',
};

/**
 * Optional native packages that dependencies try inside try/catch and do without: left out of
 * the bundle, so the require fails at run time and the dependency takes its JavaScript path.
 * @node-rs/crc32: @platformatic/kafka falls back to the WebAssembly CRC32C.
 * bufferutil, utf-8-validate: ws (under the Kubernetes client) falls back to plain JS.
 */
const optionalNativePackages = ['@node-rs/crc32', 'bufferutil', 'utf-8-validate'];

// The CommonJS dependencies (commander, winston, ioredis, ...) call require() for Node's own
// modules; an ESM bundle has no require of its own, so it gets one bound to the bundle's URL.
// __filename and __dirname answer the same way for the few that read them.
const commonJsShims = [
  "import { createRequire as lagpilotCreateRequire } from 'node:module';",
  "import { fileURLToPath as lagpilotFileURLToPath } from 'node:url';",
  "import { dirname as lagpilotDirname } from 'node:path';",
  'const require = lagpilotCreateRequire(import.meta.url);',
  'const __filename = lagpilotFileURLToPath(import.meta.url);',
  'const __dirname = lagpilotDirname(__filename);',
].join('\n');

/**
 * @platformatic/kafka compiles 38 option validators with ajv when its modules load (ajv turns
 * each schema into generated code), and runs them only for clients created with `strict`, which
 * lagpilot's are not. In the bundle its shared ajv instance compiles a schema at the validator's
 * first call instead: about 13 MiB less RSS for an idle daemon (118-122 -> 105 MiB). The client
 * reads nothing of a validator but its result and `errors`, which the stand-in copies.
 */
const kafkaClientUtils = /[\\/]@platformatic[\\/]kafka[\\/]dist[\\/]utils\.js$/;
const compileOnFirstUse = `
const lagpilotCompileNow = ajv.compile.bind(ajv);
ajv.compile = (schema) => {
  let compiled;
  const validate = (data) => {
    compiled ??= lagpilotCompileNow(schema);
    const valid = compiled(data);
    validate.errors = compiled.errors;
    return valid;
  };
  validate.errors = null;
  return validate;
};
`;

const lazyKafkaValidators: Plugin = {
  name: 'lazy-kafka-validators',
  setup(build) {
    build.onLoad({ filter: kafkaClientUtils }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('export const ajv = new Ajv2020(')) {
        throw new Error(`${args.path} no longer creates its ajv instance as expected; review the lazy-kafka-validators build plugin`);
      }
      return { contents: `${source}\n${compileOnFirstUse}`, loader: 'js' };
    });
  },
};

export function bundleOptions(outdir: string): BuildOptions {
  return {
    absWorkingDir: repoRoot,
    entryPoints: { lagpilot: join(repoRoot, 'src', 'cli.ts') },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'node',
    format: 'esm',
    target: 'node24',
    sourcemap: 'linked',
    // Stack traces in logs point at src/ through the map (node --enable-source-maps).
    sourcesContent: true,
    // Licence notices of the bundled packages stay with the code they cover.
    legalComments: 'eof',
    // V8 keeps the source text of every module it loads: without comments and indentation the
    // daemon at 2,000 groups holds 3 MiB less of it (docs/benchmarks/daemon-rss.md). Names stay
    // as written, so stack traces and error names read the same.
    minifyWhitespace: true,
    minifySyntax: true,
    alias: selfContainedVariants,
    plugins: [lazyKafkaValidators],
    external: optionalNativePackages,
    banner: { js: commonJsShims },
    logLevel: 'warning',
  };
}

export interface BuildResult {
  bundlePath: string;
  /** Size of the entry file: what every start parses. */
  entryBytes: number;
  /** Size of the entry and every chunk (source maps not counted). */
  totalBytes: number;
  millis: number;
}

export async function buildBundle(outdir = join(repoRoot, 'dist'), writeMetafile = false): Promise<BuildResult> {
  const startedAt = performance.now();
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({ ...bundleOptions(outdir), metafile: writeMetafile });
  if (result.errors.length > 0) throw new Error(`the bundle did not build: ${result.errors.map((error) => error.text).join('; ')}`);
  if (writeMetafile) writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
  const bundlePath = join(outdir, bundleFileName);
  const totalBytes = readdirSync(outdir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.mjs'))
    .reduce((sum, name) => sum + statSync(join(outdir, name)).size, 0);
  return { bundlePath, entryBytes: statSync(bundlePath).size, totalBytes, millis: performance.now() - startedAt };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { outdir: { type: 'string' }, metafile: { type: 'boolean', default: false } } });
  const built = await buildBundle(values.outdir === undefined ? undefined : resolve(values.outdir), values.metafile);
  const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  console.log(`${relative(process.cwd(), built.bundlePath)}: ${mib(built.entryBytes)}, with its chunks ${mib(built.totalBytes)}, in ${(built.millis / 1000).toFixed(1)} s`);
}
