import type { OptionRef, OptionWording } from '@ftcal/core';

/**
 * The flag a user types for each library option that core's errors name in their fixes (`option` of an
 * FtcalError). A string is the flag, followed by the option's value when the error gives one
 * (`--nan-policy skip`); a function words options that take several flags.
 */
const FLAGS: Record<string, string | ((option: OptionRef) => string)> = {
  nanPolicy: '--nan-policy',
  allowOtherLabels: '--allow-other-labels',
  device: ({ value }) => `--device ${value ?? 'cpu|gpu'}`,
  adapter: ({ value }) => `--device gpu:${value ?? 'NAME'}`,
  gamma: '--gamma',
  temperature: '--temperature',
  bins: '--bins',
  chunkRows: '--chunk-rows',
  maxSeenDrop: '--max-seen-drop',
  methods: '--methods',
  classNames: '--class-names FILE',
  train: '--fit-logits F --fit-labels FY',
  folds: '--fold-logits F --fold-seen LIST --pretrained-logits P',
  weights: '--weights W',
  odir: '--odir',
  topK: '--top-k',
  classwise: '--classwise',
  bootstrap: '--bootstrap',
  seed: '--seed',
  inputKind: '--input-kind',
};

/** The CLI's wording of a library option, for `renderError`; undefined keeps the library's wording. */
export const cliWording: OptionWording = (option) => {
  const flag = FLAGS[option.name];
  if (flag === undefined) return undefined;
  if (typeof flag === 'function') return flag(option);
  return option.value === undefined || typeof option.value === 'boolean' ? flag : `${flag} ${option.value}`;
};
