/** The JS module source that a .wat file stands for (see wat.mjs). */
export function watModule(file: string, text: string): Promise<string>;
export function watEsbuild(): { name: string; setup(build: unknown): void };
export function watVite(): {
  name: string;
  enforce: 'pre';
  transform(code: string, id: string): Promise<{ code: string; map: null } | null>;
};
