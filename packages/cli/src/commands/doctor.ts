import {
  type AdapterProbe,
  type AdapterReport,
  adapterName,
  type DevicePlan,
  planDevice,
  planSummary,
  probeAdapters,
  renderError,
} from '@ftcal/core';
import type { Command } from 'commander';
import { print, printJson, table } from '../output.ts';
import { cliWording } from '../wording.ts';

/** A plan's one line with the CLI's flag names. */
const summary = (plan: DevicePlan) => planSummary(plan, cliWording);

const routeName = (p: AdapterProbe) => `${p.route.label}, ${p.route.featureLevel} level`;

function describe(p: AdapterProbe): string[] {
  if (!p.found) return [`${routeName(p)}: none (${p.reason})`];
  const a: AdapterReport = p.found.report;
  const lines = [
    `${routeName(p)}: ${[a.vendor, a.architecture, a.device].filter(Boolean).join(' / ') || 'unnamed adapter'}`,
    `  select with    --device gpu:${adapterName(a)}`,
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
      'show the WebGPU adapters ftcal can use (hardware, OpenGL ES, SwiftShader), their features and limits, and what --device auto and gpu pick',
    )
    .option('--json', 'print one JSON document on stdout')
    .action(async (opts: { json?: boolean }) => {
      const probes = await probeAdapters();
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
          adapters: probes.map((p) => ({
            name: routeName(p),
            backend: p.route.backend,
            adapter: p.found?.report ?? null,
            select: p.found ? `gpu:${adapterName(p.found.report)}` : null,
            reason: p.reason,
          })),
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
      print('--device gpu:NAME → the adapter listed above that answers to NAME');
      print('--device cpu  → the TypeScript CPU backend');
    });
}
