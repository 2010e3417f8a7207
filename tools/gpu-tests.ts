/**
 * Which adapters the GPU tests run on, and what a suite does when one is missing. Shared by the core and
 * demo tests (each opens its backend through its own import of core), so it imports neither.
 *
 * Every GPU suite runs once per adapter, named in its title (DESIGN.md §5): CI's two software adapters,
 * Mesa llvmpipe through Dawn's OpenGL ES backend (compatibility level, no subgroups) and SwiftShader
 * through Dawn's Vulkan backend (core level, subgroups of 4, timestamp queries). FTCAL_TEST_ADAPTERS
 * names others, comma-separated, as `device: 'gpu'` with `adapter` matches them (`nvidia` on a GPU box).
 */
export const TEST_ADAPTERS: readonly string[] = (process.env.FTCAL_TEST_ADAPTERS ?? 'llvmpipe,swiftshader')
  .split(',')
  .map((name) => name.trim())
  .filter(Boolean);

/**
 * Opens `adapter` with `open`; when `isMissing` says the error means no such adapter, the suite skips
 * (null, with the reason on stderr), or fails under FTCAL_REQUIRE_GPU=1, which CI sets: both adapters
 * are required there.
 */
export async function openOrSkip<B extends { name: string }>(
  adapter: string,
  open: () => Promise<B>,
  isMissing: (e: unknown) => boolean,
): Promise<B | null> {
  try {
    const gpu = await open();
    console.info(`[gpu tests] ${adapter}: running on ${gpu.name}`);
    return gpu;
  } catch (e) {
    if (!isMissing(e)) throw e;
    const reason = e instanceof Error ? e.message : String(e);
    if (process.env.FTCAL_REQUIRE_GPU === '1') throw new Error(`FTCAL_REQUIRE_GPU=1 but ${reason}`);
    console.warn(`[gpu tests] ${adapter} skipped: ${reason}`);
    return null;
  }
}
