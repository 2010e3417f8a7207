// Typechecked against the installed .d.ts (strict, no skipLibCheck, no @types/node): the README's names
// and shapes, a caller's GPUDevice, browser inputs, and errors that are typed, not `any`.
import {
  type Backend,
  type ByteInput,
  type Calibration,
  Calibrator,
  calibrate,
  type Evaluation,
  evaluate,
  FtcalError,
  GpuContext,
  InputError,
  makeGroups,
  openArray,
  readGroupsFile,
  readLabels,
  selectBackend,
  WebGpuBackend,
} from '@ftcal/core';

export async function run(logitsFile: ByteInput, labelsFile: File, device?: GPUDevice): Promise<Calibration> {
  const backend: Backend = await selectBackend(device ?? 'auto', (line: string) => console.error(line));
  try {
    const logits = await openArray(logitsFile);
    const labels: Int32Array = await readLabels(labelsFile);
    const lists = await readGroupsFile(new Uint8Array([123, 125]), { numClasses: logits.cols });
    const groups = makeGroups(logits.cols, lists.seen.length ? lists.seen : [0, 1, 2, 3, 4]);
    const evaluation: Evaluation = await evaluate(backend, { logits, labels, groups });
    const uy: number | undefined = evaluation.table['U/Y'];
    console.log(uy);
    const result = await calibrate(backend, {
      logits,
      labels,
      groups,
      methods: ['oracle', 'hmean'],
      select: 'oracle',
    });
    const calibrator = Calibrator.fromJSON(JSON.stringify(result.calibrator));
    console.log(calibrator.gamma, result.before['U/Y'], result.after['U/Y']);
    return result;
  } catch (e) {
    if (e instanceof InputError) console.error(e.code, e.file, e.problem, e.fix, e.option?.name);
    if (e instanceof FtcalError) console.error(e.exitCode);
    throw e;
  } finally {
    backend.dispose();
  }
}

export function onMyDevice(device: GPUDevice, info: GPUAdapterInfo): Backend {
  return new WebGpuBackend(GpuContext.fromDevice(device, info));
}

// The types are real, not `any`: each of these must be an error.
// @ts-expect-error a number is not an input
void openArray(42);
// @ts-expect-error not a device preference
void selectBackend('tpu');
// @ts-expect-error calibrate needs a backend first
void calibrate({ methods: ['oracle'] });
