import { GpuError } from '../errors.ts';
import type { Backend } from './backend.ts';
import { CpuBackend } from './cpu.ts';

/**
 * DESIGN.md §4: a lost GPU device retries on the CPU path. Wraps a backend so that any operation failing
 * with a device-lost GpuError is re-run on the CPU twins, and every later call goes to the CPU too.
 * Works for every Backend method, present and future, because each is forwarded by name.
 */
export function withCpuFallback(primary: Backend, log: (line: string) => void = () => {}): Backend {
  if (primary.kind === 'cpu') return primary;
  let current: Backend = primary;
  return new Proxy(primary, {
    get(_target, prop, _receiver) {
      if (prop === 'dispose') return () => current.dispose();
      const on = current;
      const value = Reflect.get(on, prop, on);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        try {
          return await value.apply(on, args);
        } catch (e) {
          // `on`, not `current`: ops run concurrently (a chunk read ahead while the device works on the
          // last), and the second to see the loss is re-run on the CPU too, after the first switched.
          if (on === primary && e instanceof GpuError && e.kind === 'device-lost') {
            if (current === primary) {
              log(`ftcal: the GPU device was lost (${e.message}); continuing on the CPU backend`);
              current = new CpuBackend();
              try {
                primary.dispose();
              } catch {
                // the device is already gone; nothing else to release
              }
            }
            const cpu = current;
            const retry = Reflect.get(cpu, prop, cpu) as (...a: unknown[]) => unknown;
            return await retry.apply(cpu, args);
          }
          throw e;
        }
      };
    },
  });
}
