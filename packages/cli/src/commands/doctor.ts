import {
  type AdapterReport,
  type DevicePlan,
  findAdapter,
  planDevice,
  planSummary,
  renderError,
} from '@ftcal/core';
import type { Command } from 'commander';
import { print, printJson, table } from '../output.ts';
import { cliWording } from '../wording.ts';

interface Probe {
  name: string;
  adapter: AdapterReport | null;
  reason: string | null;
}

async function probe(
  name: string,
  backend: 'default' | 'opengles',
  level: 'core' | 'compatibility',
): Promise<Probe> {
  const found = await findAdapter(backend, level);
  return typeof found === 'string'
    ? { name, adapter: null, reason: found }
    : { name, adapter: found.report, reason: null };
}

/** A plan's one line with the CLI's flag names. */
const summary = (plan: DevicePlan) => planSummary(plan, cliWording);

function describe(p: Probe): string[] {
  if (!p.adapter) return [`${p.name}: none (${p.reason})`];
  const a = p.adapter;
  const lines = [
    `${p.name}: ${[a.vendor, a.architecture, a.device].filter(Boolean).join(' / ') || 'unnamed adapter'}`,
    `  description    ${a.description || '-'}`,
    `  backend        ${a.backend}, feature level ${a.featureLevel}, ${a.software ? 'software (CPU-emulated)' : 'hardware'}`,
    `  subgroups      ${a.features.includes('subgroups') ? `yes (size ${a.subgroupSizes?.join('–') ?? '?'})` : 'no'}`,
    `  timestamps     ${a.features.includes('timestamp-query') ? 'yes' : 'no'}`,
    `  shader-f16     ${a.features.includes('shader-f16') ? 'yes' : 'no'}`,
    '  limits',
  ];
  const rows = Object.entries(a.limits).map(([k, v]) => [`    ${k}`, String(v)]);
  lines.push(table(rows));
  return lines;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'show the WebGPU adapters ftcal can use, their features and limits, and what --device auto picks',
    )
    .option('--json', 'print one JSON document on stdout')
    .action(async (opts: { json?: boolean }) => {
      const probes = [
        await probe('hardware adapter (Dawn default backend, core)', 'default', 'core'),
        await probe('OpenGL ES adapter (compatibility, EGL surfaceless)', 'opengles', 'compatibility'),
      ];
      const auto: DevicePlan = await planDevice('auto');
      let gpu: DevicePlan | { error: string };
      try {
        gpu = await planDevice('gpu');
      } catch (e) {
        gpu = { error: renderError(e, cliWording) };
      }
      if (opts.json) {
        printJson({
          schemaVersion: 1,
          node: process.version,
          platform: `${process.platform}-${process.arch}`,
          adapters: probes,
          deviceAuto: { backend: auto.chosen, summary: summary(auto), reasons: auto.reasons },
          deviceGpu:
            'error' in gpu
              ? { backend: null, error: gpu.error }
              : { backend: gpu.chosen, summary: summary(gpu) },
        });
        return;
      }
      print(`ftcal doctor — Node ${process.version} on ${process.platform}-${process.arch}`);
      for (const p of probes) {
        print();
        for (const line of describe(p)) print(line);
      }
      print();
      print(
        `--device auto → ${auto.chosen === 'webgpu' ? 'WebGPU' : 'CPU backend'}: ${summary(auto).replace(/^ftcal: /, '')}`,
      );
      print(
        `--device gpu  → ${'error' in gpu ? `fails: ${gpu.error}` : summary(gpu).replace(/^ftcal: /, '')}`,
      );
      print('--device cpu  → the TypeScript CPU backend');
    });
}
