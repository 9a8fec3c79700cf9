// `lagpilot import-keda FILE [--json] [--out FILE]`: KEDA ScaledObjects with Kafka triggers to
// a lagpilot config, with the report of what was mapped, approximated, or has no equivalent.
// Without --out the config goes to standard output with the report as comments above it; with
// --out the config goes to the file and the report to standard output. --json gives the
// config, the report, the environment variables and the mounts as one JSON document.
// Exit codes: 0 converted, 1 the output could not be written, 2 the input cannot be converted.
import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { KedaInputError, readKedaFile } from './manifests.ts';
import { importScaledObjects, KedaMappingError } from './mapping.ts';
import type { KedaImport, Outcome, ReportEntry } from './mapping.ts';

interface ImportOptions {
  json?: boolean;
  out?: string;
}

export const importExitCodes = { ok: 0, cannotWrite: 1, cannotConvert: 2 } as const;

const outcomeWords: Record<Outcome, string> = { mapped: 'mapped', approximated: 'approximated', unmapped: 'no equivalent' };

export function renderReport(report: readonly ReportEntry[]): string {
  const lines: string[] = [];
  let object: string | undefined;
  for (const entry of report) {
    if (entry.object !== object) {
      object = entry.object;
      lines.push(object);
    }
    const value = entry.value === '' ? '' : ` = ${entry.value}`;
    const to = entry.to === undefined ? '' : ` -> ${entry.to}`;
    lines.push(`  ${outcomeWords[entry.outcome].padEnd(14)} ${entry.field}${value}${to}: ${entry.note}`);
  }
  const count = (outcome: Outcome): number => report.filter((entry) => entry.outcome === outcome).length;
  lines.push(`${count('mapped')} mapped, ${count('approximated')} approximated, ${count('unmapped')} without equivalent.`);
  return lines.join('\n');
}

function renderSetup(imported: KedaImport): string[] {
  const lines: string[] = [];
  if (imported.environment.length > 0) {
    lines.push('Environment variables lagpilot needs (e.g. env[].valueFrom.secretKeyRef in its Deployment):');
    for (const variable of imported.environment) lines.push(`  ${variable.name}: ${variable.from}`);
  }
  if (imported.mounts.length > 0) {
    lines.push('Mount into lagpilot\'s pod:');
    for (const mount of imported.mounts) lines.push(`  ${mount.source} at ${mount.path}`);
  }
  const namespaces = [...new Set(imported.config.targets.flatMap((target) => (target.actuator.kind === 'kubernetesScale' ? [target.actuator.workload.namespace ?? '(lagpilot\'s own)'] : [])))];
  if (namespaces.length > 0) {
    lines.push(`lagpilot's ServiceAccount needs get and patch on the workloads' /scale in namespace ${namespaces.join(', ')} (the rules of deploy/kubernetes/base/role.yaml, bound there).`);
  }
  lines.push('Remove the ScaledObjects (and the HPAs KEDA made for them) before lagpilot scales the same workloads, or the two fight over the count.');
  return lines;
}

/** The config as YAML, with the report and the set-up it needs as comments above it. */
export function renderConfigWithReport(imported: KedaImport, sourceName: string): string {
  const comments = [
    `lagpilot config imported from ${sourceName} by lagpilot import-keda. Check it with: lagpilot validate-config FILE`,
    '',
    ...renderSetup(imported),
    '',
    ...renderReport(imported.report).split('\n'),
  ];
  return `${comments.map((line) => (line === '' ? '#' : `# ${line}`)).join('\n')}\n${stringify(imported.config, { lineWidth: 0 })}`;
}

export async function runImportKeda(file: string, options: ImportOptions, write: (text: string) => void, writeError: (text: string) => void): Promise<number> {
  let imported: KedaImport;
  try {
    imported = importScaledObjects(await readKedaFile(file));
  } catch (error) {
    if (error instanceof KedaInputError) {
      for (const problem of error.problems) writeError(`${problem}\n`);
      return importExitCodes.cannotConvert;
    }
    if (error instanceof KedaMappingError) {
      if (error.report.length > 0) writeError(`${renderReport(error.report)}\n`);
      writeError(`${file}: ${error.message}\n`);
      return importExitCodes.cannotConvert;
    }
    throw error;
  }
  if (options.out !== undefined) {
    try {
      await writeFile(options.out, renderConfigWithReport(imported, file));
    } catch (error) {
      writeError(`cannot write ${options.out}: ${error instanceof Error ? error.message : String(error)}\n`);
      return importExitCodes.cannotWrite;
    }
  }
  if (options.json === true) {
    write(`${JSON.stringify(imported, null, 2)}\n`);
  } else if (options.out !== undefined) {
    write(`${[...renderSetup(imported), renderReport(imported.report), `wrote ${options.out}`].join('\n')}\n`);
  } else {
    write(renderConfigWithReport(imported, file));
  }
  return importExitCodes.ok;
}

export function registerImportKedaCommand(program: Command): void {
  program
    .command('import-keda')
    .description('turn KEDA ScaledObjects with Kafka triggers into a lagpilot config, reporting what was mapped and what has no equivalent')
    .argument('<file>', 'YAML with ScaledObjects (one or many documents, or a List), and the TriggerAuthentications and Secrets they use')
    .option('--json', 'print the config, the report, the environment variables and the mounts as JSON')
    .option('--out <file>', 'write the config (YAML, the report as comments) to this file; the report goes to standard output')
    .action(async (file: string, options: ImportOptions) => {
      process.exitCode = await runImportKeda(file, options, (text) => process.stdout.write(text), (text) => process.stderr.write(text));
    });
}
