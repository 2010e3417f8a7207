// The Node consumer: `node run.mjs <toy-dir> <cpu|gpu|device> [llvmpipe|swiftshader]` in a directory
// where @ftcal/core was installed with npm. cpu and gpu go through selectBackend by name (FTCAL_ADAPTER
// names the adapter for gpu); device makes its own GPUDevice with the `webgpu` package and hands it to
// selectBackend, as a program sharing its GPU with another library would, then checks ftcal left the
// device alive: on llvmpipe through Dawn's OpenGL ES backend, on SwiftShader through its default (Vulkan)
// backend with VK_ICD_FILENAMES naming SwiftShader's driver, as such a program would. Prints one JSON
// document.
import { join } from 'node:path';
import * as core from '@ftcal/core';
import { runConsumer, TOY_FILES } from './workload.mjs';

const [toy, mode, adapterName = 'llvmpipe'] = process.argv.slice(2);
const files = Object.fromEntries(Object.entries(TOY_FILES).map(([k, name]) => [k, join(toy, name)]));
const log = (line) => process.stderr.write(`${line}\n`);

let gpu; // Dawn's instance must outlive its devices, or Dawn aborts the process: keep it referenced.
async function makeDevice(requiredLimits) {
  // Deliberately not installing webgpu's globals (GPUBufferUsage, …): ftcal must work without them.
  const { create } = await import('webgpu');
  const gl = adapterName === 'llvmpipe';
  process.env.EGL_PLATFORM ??= 'surfaceless';
  gpu = create(gl ? ['backend=opengles'] : []);
  const adapter = await gpu.requestAdapter({ featureLevel: gl ? 'compatibility' : 'core' });
  if (!adapter) throw new Error(`no ${gl ? 'OpenGL ES' : 'Vulkan'} adapter`);
  // ftcal's kernels need more than a compatibility device's defaults: KERNEL_LIMITS says what to ask for.
  return adapter.requestDevice({ requiredLimits });
}

const result = await runConsumer(core, mode, files, makeDevice, log);
process.stdout.write(`${JSON.stringify(result)}\n`);
