/**
 * The engine's messages name its options (it is a library too); on the command line the same advice
 * must name the flag a user types.
 */
const FLAGS: [RegExp, string][] = [
  [/pass nanPolicy 'skip' \(--nan-policy skip\)/g, 'pass --nan-policy skip'],
  [/pass allowOtherLabels\b/g, 'pass --allow-other-labels'],
];

export function cliWording(message: string): string {
  return FLAGS.reduce((text, [pattern, flag]) => text.replace(pattern, flag), message);
}
