import { expect, vi } from 'vitest';

/**
 * Live GPU buffers of a device, for tests that check an op frees what it made: every createBuffer since
 * the call that has not been destroyed. Wraps the real device (nothing is mocked); `stop()` unwraps it.
 * Shared by the core and demo tests, so it imports neither.
 */
export function trackBuffers(device: GPUDevice): { live: Set<GPUBuffer>; stop: () => void } {
  const live = new Set<GPUBuffer>();
  const create = device.createBuffer.bind(device);
  const spy = vi.spyOn(device, 'createBuffer').mockImplementation((descriptor) => {
    const buffer = create(descriptor);
    live.add(buffer);
    const destroy = buffer.destroy.bind(buffer);
    buffer.destroy = () => {
      live.delete(buffer);
      destroy();
    };
    return buffer;
  });
  return { live, stop: () => spy.mockRestore() };
}

/** Makes the `failAt`-th call of `target[method]` throw, running the real method before it. */
export function failOnCall<T extends object, K extends keyof T>(
  target: T,
  method: K,
  failAt: number,
): { calls: () => number; restore: () => void } {
  const original = (target[method] as (...a: unknown[]) => unknown).bind(target);
  let calls = 0;
  const spy = vi.spyOn(target, method as never).mockImplementation(((...args: unknown[]) => {
    if (++calls === failAt) throw new Error(`injected ${String(method)} failure`);
    return original(...args);
  }) as never);
  return { calls: () => calls, restore: () => spy.mockRestore() };
}

/**
 * Runs `run` twice: normally, then with the third `ctx.dispatch` throwing (after earlier chunks ran and
 * while later ones are half made). Either way no buffer `run` made may outlive it.
 */
export async function expectBuffersFreed(
  ctx: { device: GPUDevice; dispatch: (...args: never[]) => unknown },
  run: () => Promise<unknown>,
): Promise<void> {
  const tracked = trackBuffers(ctx.device);
  try {
    await run();
    expect(tracked.live.size, 'live buffers after success').toBe(0);
    const failing = failOnCall(ctx, 'dispatch', 3);
    try {
      await expect(run()).rejects.toThrow('injected dispatch failure');
    } finally {
      failing.restore();
    }
    expect(failing.calls()).toBe(3);
    expect(tracked.live.size, 'live buffers after a failing dispatch').toBe(0);
  } finally {
    tracked.stop();
  }
}
