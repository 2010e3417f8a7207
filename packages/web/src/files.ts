import { listNpz, listSafetensors } from '@ftcal/core';
import type { ArrayInput } from './analysis.ts';

/** The arrays inside an .npz or .safetensors file, or null for a format that holds one array. */
async function membersOf(file: File): Promise<string[] | null> {
  const name = file.name.toLowerCase();
  if (name.endsWith('.npz')) return listNpz(file);
  if (name.endsWith('.safetensors')) return listSafetensors(file);
  return null;
}

/**
 * Lets a file be dropped on the field around `input` (its `[data-drop]` element) as well as picked:
 * the first dropped file becomes the input's file, then `changed` runs.
 */
export function acceptDrops(input: HTMLInputElement, changed: () => void = () => {}): void {
  const zone = input.closest<HTMLElement>('[data-drop]')!;
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('dragover');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragover'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('dragover');
    const file = e.dataTransfer?.files[0];
    if (!file) return;
    const list = new DataTransfer();
    list.items.add(file);
    input.files = list.files;
    changed();
  });
}

/**
 * One file field of the form: its <input type="file">, the element files may be dropped on, and for
 * archives a picker of the array inside. `onError` gets a bad archive's message as soon as it is chosen.
 */
export class FileField {
  private readonly input: HTMLInputElement;
  private readonly picker: HTMLSelectElement | null;
  private listing: Promise<void> = Promise.resolve();

  constructor(
    readonly id: string,
    /** Array names to select first in an archive, best first (`logits`, say); else its first array. */
    private readonly prefer: readonly string[],
    private readonly onError: (e: unknown) => void,
    private readonly onChange: () => void,
  ) {
    this.input = document.getElementById(`${id}-file`) as HTMLInputElement;
    this.picker = document.getElementById(`${id}-member`) as HTMLSelectElement | null;
    this.input.addEventListener('change', () => this.changed());
    acceptDrops(this.input, () => this.changed());
  }

  get file(): File | undefined {
    return this.input.files?.[0];
  }

  /** The chosen file and array, once the archive's listing (if any) has finished. */
  async value(): Promise<ArrayInput | undefined> {
    await this.listing;
    const file = this.file;
    if (!file) return undefined;
    const tensor =
      this.picker && !this.picker.closest<HTMLElement>('.member')!.hidden ? this.picker.value : undefined;
    return tensor === undefined ? { file } : { file, tensor };
  }

  private changed(): void {
    this.listing = this.list();
    this.onChange();
  }

  private async list(): Promise<void> {
    if (!this.picker) return;
    const wrapper = this.picker.closest<HTMLElement>('.member')!;
    wrapper.hidden = true;
    this.picker.replaceChildren();
    const file = this.file;
    if (!file) return;
    try {
      const members = await membersOf(file);
      if (!members || members.length < 2) return;
      const first = this.prefer.find((p) => members.includes(p)) ?? members[0]!;
      for (const m of members) this.picker.append(new Option(m, m, m === first, m === first));
      wrapper.hidden = false;
    } catch (e) {
      this.onError(e);
    }
  }
}
