import type { OptionWording } from '@ftcal/core';

/** The Device menu's choices, by the device preference core's messages name (`device: 'gpu'`). */
export const DEVICE_LABELS: Record<string, string> = {
  auto: 'Auto (hardware GPU, else CPU)',
  gpu: 'GPU (any WebGPU adapter)',
  cpu: 'CPU',
};

/**
 * How the page words the library options that core's error fixes and device lines name: the control a
 * user changes here, where the CLI names a flag (cli/src/wording.ts). Core's fixes read "pass {option}",
 * "set {option}", "asked for with {option}", so each is a noun phrase naming the control. An option the
 * page has no control for keeps the library's wording.
 */
const CONTROLS: Record<string, (value: string | number | boolean | undefined) => string> = {
  nanPolicy: () => '“Skip rows with NaN or +Inf logits”',
  allowOtherLabels: () => '“Drop rows labelled in neither S nor U”',
  device: (value) =>
    value === undefined ? 'the Device menu' : `Device “${DEVICE_LABELS[String(value)] ?? value}”`,
  bins: () => '“ECE bins”',
  maxSeenDrop: () => '“δ of constrained”',
  classNames: () => 'a class-names file',
  tensor: () => 'the array picker',
  train: () => 'the fitting data for alg (its logits and labels)',
  inputKind: () => '“The scores are probabilities”',
};

export const pageWording: OptionWording = ({ name, value }) => CONTROLS[name]?.(value);
