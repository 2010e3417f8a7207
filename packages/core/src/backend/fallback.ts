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
      const value = Reflect.get(current, prop, current);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        try {
          return await value.apply(current, args);
        } catch (e) {
          if (current === primary && e instanceof GpuError && e.kind === 'device-lost') {
            log(`ftcal: the GPU device was lost (${e.message}); continuing on the CPU backend`);
            const cpu = new CpuBackend();
            current = cpu;
            try {
              primary.dispose();
            } catch {
              // the device is already gone; nothing else to release
            }
            const retry = Reflect.get(cpu, prop, cpu) as (...a: unknown[]) => unknown;
            return await retry.apply(cpu, args);
          }
          throw e;
        }
      };
    },
  });
}
