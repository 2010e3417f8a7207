import { platform } from '#platform';
import type { Backend } from '../backend/backend.ts';
import { CpuBackend } from '../backend/cpu.ts';
import { withCpuFallback } from '../backend/fallback.ts';
import { WebGpuBackend } from '../backend/webgpu.ts';
import { InputError, libraryWording, NoAdapterError, type OptionRef, type OptionWording } from '../errors.ts';
import { GpuContext } from '../gpu/context.ts';
import {
  type AdapterReport,
  adapterMatches,
  adapterName,
  type FoundAdapter,
  findAdapter,
} from './adapter.ts';

export type DevicePreference = 'auto' | 'gpu' | 'cpu';

const PREFERENCES: readonly DevicePreference[] = ['auto', 'gpu', 'cpu'];

/** Why a plan chose what it chose; `text` may name the library option `{option}`, as error fixes do. */
export interface PlanReason {
  text: string;
  option?: OptionRef;
}

/** The outcome of device selection, before anything is opened: what would run, on what, and why. */
export interface DevicePlan {
  preference: DevicePreference;
  chosen: 'webgpu' | 'cpu';
  adapter: AdapterReport | null;
  /** Why each better option was not taken, in the order they were tried. */
  reasons: string[];
  /** Why this choice (null: a hardware adapter, nothing to explain). */
  why: PlanReason | null;
  /** The one line printed when a command starts, in the library's wording (`planSummary` words it). */
  summary: string;
  found: FoundAdapter | null;
}

function adapterLine(r: AdapterReport): string {
  const name = [r.device, r.description].filter(Boolean).join(', ') || r.vendor || 'unknown adapter';
  return `${name} (${r.backend}, ${r.featureLevel}${r.software ? ', software' : ''})`;
}

/** The plan's one line (`ftcal: using …`), with the option it names written by `wording`. */
export function planSummary(
  plan: Pick<DevicePlan, 'adapter' | 'why'>,
  wording: OptionWording = libraryWording,
): string {
  const option = plan.why?.option;
  const named = option ? (wording(option) ?? libraryWording(option) ?? '') : '';
  const why = plan.why ? ` (${plan.why.text.replaceAll('{option}', named)})` : '';
  return plan.adapter
    ? `ftcal: using WebGPU on ${adapterLine(plan.adapter)}${why}`
    : `ftcal: using the CPU backend${why}`;
}

const device = (value: DevicePreference): OptionRef => ({ name: 'device', value });

function checkPreference(preference: unknown): asserts preference is DevicePreference {
  if (!PREFERENCES.includes(preference as DevicePreference)) {
    throw new InputError({
      code: 'option',
      problem: `device ${JSON.stringify(preference)} is not auto, gpu, cpu or a GPUDevice`,
      fix: 'set {option}, or pass a GPUDevice you made',
      option: { name: 'device', value: 'auto' },
    });
  }
}

export interface PlanOptions {
  /**
   * The adapter to run on, by name: a case-insensitive part of its vendor, architecture, device,
   * description or graphics API as `doctor` lists them ('swiftshader', 'llvmpipe', 'nvidia', 'vulkan').
   * A software adapter named here is used by `auto` too. Default: the FTCAL_ADAPTER environment variable
   * where there is one (Node), else none. `cpu` ignores it.
   */
  adapter?: string;
}

type Plan = (found: FoundAdapter | null, why: PlanReason | null) => DevicePlan;

/** The first adapter, on any route, that answers to `name`; `auto` without one runs on the CPU. */
async function planNamed(
  preference: DevicePreference,
  name: string,
  fromEnv: boolean,
  reasons: string[],
  plan: Plan,
): Promise<DevicePlan> {
  const option: OptionRef = { name: 'adapter', value: name };
  const why = fromEnv ? 'named by FTCAL_ADAPTER' : 'named with {option}';
  const others: string[] = [];
  for (const route of platform.adapterRoutes) {
    const found = await findAdapter(route.backend, route.featureLevel);
    if (typeof found === 'string') reasons.push(found);
    else if (adapterMatches(found.report, name)) return plan(found, { text: why, option });
    else {
      const r = found.report;
      others.push(`${adapterName(r)} (${r.backend}, ${r.featureLevel}${r.software ? ', software' : ''})`);
    }
  }
  const problem = `no WebGPU adapter answers to "${name}" (${others.length > 0 ? `there are: ${others.join('; ')}` : reasons.join('; ')})`;
  if (preference === 'auto') return plan(null, { text: problem });
  const fix =
    others.length > 0
      ? { fix: `${fromEnv ? 'FTCAL_ADAPTER' : '{option}'} names one of them`, option }
      : { fix: '{option} runs on the CPU', option: device('cpu') };
  throw new NoAdapterError({ code: 'device', problem, ...fix }, reasons);
}

/**
 * DESIGN.md §2: `auto` takes a hardware adapter at core feature level and otherwise the CPU path;
 * a software adapter (llvmpipe, lavapipe, SwiftShader) is used only with `gpu`, which also tries the
 * platform's other routes, in order, when no core-level adapter is found: in Node, Dawn's OpenGL ES
 * backend in compatibility mode (EGL_PLATFORM=surfaceless), then SwiftShader through Dawn's Vulkan
 * backend; navigator.gpu at compatibility level in a browser. `options.adapter` picks one by name.
 */
export async function planDevice(
  preference: DevicePreference,
  options: PlanOptions = {},
): Promise<DevicePlan> {
  checkPreference(preference);
  const reasons: string[] = [];
  const plan: Plan = (found, why) => {
    const parts: Omit<DevicePlan, 'summary'> = {
      preference,
      chosen: found ? 'webgpu' : 'cpu',
      adapter: found?.report ?? null,
      reasons,
      why,
      found,
    };
    return { ...parts, summary: planSummary(parts) };
  };
  if (preference === 'cpu') return plan(null, { text: 'asked for with {option}', option: device('cpu') });
  const fromEnv = options.adapter === undefined;
  const name = (options.adapter ?? platform.env('FTCAL_ADAPTER') ?? '').trim();
  if (name !== '') return planNamed(preference, name, fromEnv, reasons, plan);

  const [first, ...rest] = platform.adapterRoutes;
  const hardware = await findAdapter(first!.backend, first!.featureLevel);
  if (typeof hardware === 'string') reasons.push(hardware);
  else if (!hardware.report.software) return plan(hardware, null);
  else if (preference === 'gpu') {
    return plan(hardware, { text: 'software adapter, asked for with {option}', option: device('gpu') });
  } else reasons.push(`only a software adapter was found (${adapterLine(hardware.report)})`);

  if (preference === 'auto') {
    return plan(null, {
      text: `${reasons.join('; ')}; {option} runs on a software adapter if one exists`,
      option: device('gpu'),
    });
  }
  for (const route of rest) {
    const fallback = await findAdapter(route.backend, route.featureLevel);
    if (typeof fallback !== 'string') {
      return plan(fallback, { text: `${route.label}, asked for with {option}`, option: device('gpu') });
    }
    reasons.push(fallback);
  }
  throw new NoAdapterError(
    {
      code: 'device',
      problem: `no WebGPU adapter found (${reasons.join('; ')})`,
      fix: '{option} runs on the CPU',
      option: device('cpu'),
    },
    reasons,
  );
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

export interface SelectOptions extends PlanOptions {
  /** Where the one line saying which backend runs goes (stderr in the CLI); nowhere by default. */
  log?: (line: string) => void;
  /** How that line words the option it names (`device: 'gpu'`), as `renderError` does for errors. */
  wording?: OptionWording;
}

function isGpuDevice(x: unknown): x is GPUDevice {
  const d = x as Partial<GPUDevice> | null;
  return typeof d === 'object' && d !== null && typeof d.createComputePipeline === 'function' && 'queue' in d;
}

/**
 * The backend for a device preference (planDevice + openBackend), or WebGPU on a GPUDevice the caller
 * made and keeps (one shared with tfjs or onnxruntime-web): ftcal never destroys a device it did not
 * create, so `dispose()` then releases only what ftcal made. Logs the one line that says which.
 */
export async function selectBackend(
  preference: DevicePreference | GPUDevice,
  options: SelectOptions | ((line: string) => void) = {},
): Promise<Backend> {
  const {
    log = () => {},
    wording,
    ...planOptions
  } = typeof options === 'function' ? { log: options } : options;
  if (isGpuDevice(preference)) {
    const ctx = GpuContext.fromDevice(preference);
    log(`ftcal: using WebGPU on ${adapterLine(ctx.report)} (the caller's device)`);
    return withCpuFallback(new WebGpuBackend(ctx), log);
  }
  const plan = await planDevice(preference, planOptions);
  log(wording ? planSummary(plan, wording) : plan.summary);
  return openBackend(plan, log);
}
