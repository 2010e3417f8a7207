import { describe, expect, it } from 'vitest';
import type { KernelDescriptor } from '../src/index.ts';
import * as kernels from '../src/index.ts';

const all = Object.values(kernels).filter(
  (v): v is KernelDescriptor => typeof v === 'object' && v !== null && 'code' in v && 'bindings' in v,
);

/** The descriptors are hand-written next to the WGSL: these checks keep the two from drifting apart. */
describe.each(all.map((k) => [k.name, k] as const))('%s descriptor', (_name, k) => {
  it('lists every @binding of the source, in order, with the declared access', () => {
    const found = [...k.code.matchAll(/@binding\((\d+)\)\s*var<([^>]+)>\s*(\w+)/g)].map((m) => ({
      index: Number(m[1]),
      space: m[2]!.replace(/\s/g, ''),
      name: m[3]!,
    }));
    expect(found.map((f) => f.index)).toEqual(k.bindings.map((_, i) => i));
    found.forEach((f, i) => {
      const b = k.bindings[i]!;
      expect(f.name).toBe(b.name);
      const kind =
        f.space === 'uniform' ? 'uniform' : f.space.endsWith('read_write') ? 'storage' : 'storage-read';
      expect(kind).toBe(b.kind);
    });
  });

  it('has the entry point and every override it claims', () => {
    expect(k.code).toMatch(new RegExp(`fn ${k.entryPoint}\\s*\\(`));
    for (const name of Object.keys(k.overrides)) expect(k.code).toMatch(new RegExp(`override ${name}\\b`));
  });

  it('requires exactly the features its enable directives name, so the host can pick a fallback', () => {
    const enabled = [...k.code.matchAll(/^enable\s+([\w, ]+);/gm)].flatMap((m) =>
      m[1]!.split(',').map((f) => f.trim().replaceAll('_', '-')),
    );
    expect([...(k.requires ?? [])].sort()).toEqual(enabled.sort());
  });

  it('declares the uniform struct fields in order', () => {
    if (k.uniforms.length === 0) return;
    const struct = k.code.match(/struct Params\s*{([^}]*)}/)?.[1] ?? '';
    const fields = [...struct.matchAll(/(\w+)\s*:\s*(\w+)/g)].map((m) => ({ name: m[1], type: m[2] }));
    expect(fields).toEqual(k.uniforms.map((u) => ({ name: u.name, type: u.type })));
  });
});

it('exports at least one kernel', () => {
  expect(all.length).toBeGreaterThan(0);
});
