import type { Backend } from '../backend/backend.ts';
import { CpuBackend } from '../backend/cpu.ts';
import { withCpuFallback } from '../backend/fallback.ts';
import { WebGpuBackend } from '../backend/webgpu.ts';
import { NoAdapterError } from '../errors.ts';
import { GpuContext } from '../gpu/context.ts';
import { type AdapterReport, type FoundAdapter, findAdapter } from './adapter.ts';

export type DevicePreference = 'auto' | 'gpu' | 'cpu';

/** The outcome of device selection, before anything is opened: what would run, on what, and why. */
export interface DevicePlan {
  preference: DevicePreference;
  chosen: 'webgpu' | 'cpu';
  adapter: AdapterReport | null;
  /** Why each better option was not taken, in the order they were tried. */
  reasons: string[];
  /** The one line printed on stderr when a command starts. */
  summary: string;
  found: FoundAdapter | null;
}

function adapterLine(r: AdapterReport): string {
  const name = [r.device, r.description].filter(Boolean).join(', ') || r.vendor || 'unknown adapter';
  return `${name} (${r.backend}, ${r.featureLevel}${r.software ? ', software' : ''})`;
}

/**
 * DESIGN.md §2: `auto` takes a hardware adapter at core feature level and otherwise the CPU path;
 * a software adapter (llvmpipe, lavapipe, SwiftShader) is used only with `gpu`, which also tries
 * Dawn's OpenGL ES backend in compatibility mode (EGL_PLATFORM=surfaceless) when Vulkan has nothing.
 */
export async function planDevice(preference: DevicePreference): Promise<DevicePlan> {
  const reasons: string[] = [];
  const plan = (found: FoundAdapter | null, why: string): DevicePlan => ({
    preference,
    chosen: found ? 'webgpu' : 'cpu',
    adapter: found?.report ?? null,
    reasons,
    summary: found
      ? `ftcal: using WebGPU on ${adapterLine(found.report)}${why ? ` (${why})` : ''}`
      : `ftcal: using the CPU backend (${why})`,
    found,
  });
  if (preference === 'cpu') return plan(null, 'asked for with --device cpu');

  const hardware = await findAdapter('default', 'core');
  if (typeof hardware === 'string') reasons.push(hardware);
  else if (!hardware.report.software) return plan(hardware, '');
  else if (preference === 'gpu') return plan(hardware, 'software adapter, asked for with --device gpu');
  else reasons.push(`only a software adapter was found (${adapterLine(hardware.report)})`);

  if (preference === 'auto') {
    return plan(null, `${reasons.join('; ')}; --device gpu runs on a software adapter if one exists`);
  }
  const gl = await findAdapter('opengles', 'compatibility');
  if (typeof gl !== 'string') return plan(gl, 'OpenGL ES compatibility adapter, asked for with --device gpu');
  reasons.push(gl);
  throw new NoAdapterError(`--device gpu: no WebGPU adapter found (${reasons.join('; ')})`, reasons);
}

/**
 * Opens the backend a plan chose; a WebGPU backend comes wrapped so a lost device continues on the CPU.
 * Callers must `dispose()` it so the process can exit.
 */
export async function openBackend(
  plan: DevicePlan,
  log: (line: string) => void = () => {},
): Promise<Backend> {
  if (!plan.found) return new CpuBackend();
  return withCpuFallback(new WebGpuBackend(await GpuContext.open(plan.found)), log);
}

/** planDevice + openBackend, printing the plan's one line through `log` (stderr in the CLI). */
export async function selectBackend(
  preference: DevicePreference,
  log: (line: string) => void = () => {},
): Promise<Backend> {
  const plan = await planDevice(preference);
  log(plan.summary);
  return openBackend(plan, log);
}
