import { afterEach, describe, expect, it } from 'vitest';
import { type AdapterReport, adapterMatches, adapterName, probeAdapters } from '../src/device/adapter.ts';
import { type DevicePlan, planDevice, planSummary } from '../src/device/select.ts';
import { NoAdapterError } from '../src/errors.ts';
import { TEST_ADAPTERS } from './gpu-harness.ts';

const requireGpu = process.env.FTCAL_REQUIRE_GPU === '1';

/** A plan, or null (skip) when the adapter is missing and FTCAL_REQUIRE_GPU is not set. */
async function planOrSkip(plan: () => Promise<DevicePlan>): Promise<DevicePlan | null> {
  try {
    return await plan();
  } catch (e) {
    if (e instanceof NoAdapterError && !requireGpu) return null;
    throw e;
  }
}

function report(parts: Partial<AdapterReport>): AdapterReport {
  return {
    vendor: '',
    architecture: '',
    device: '',
    description: '',
    backend: 'vulkan',
    featureLevel: 'core',
    software: false,
    features: [],
    limits: {},
    subgroupSizes: null,
    ...parts,
  };
}

describe('adapter names', () => {
  const swiftshader = report({
    vendor: 'google',
    architecture: 'swiftshader',
    device: 'swiftshader-device-subzero-',
    description: 'SwiftShader driver 5.0.0',
    software: true,
  });
  const llvmpipe = report({
    device: 'llvmpipe-llvm-15-0-6-256-bits-',
    description: 'OpenGL version OpenGL ES 3.2 Mesa 22.3.6',
    backend: 'opengles',
    featureLevel: 'compatibility',
  });
  const h200 = report({ vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H200' });

  it('match any part of vendor, architecture, device, description or graphics API, ignoring case', () => {
    expect(adapterMatches(swiftshader, 'SwiftShader')).toBe(true);
    expect(adapterMatches(swiftshader, 'google')).toBe(true);
    expect(adapterMatches(llvmpipe, 'llvmpipe')).toBe(true);
    expect(adapterMatches(llvmpipe, 'mesa')).toBe(true);
    expect(adapterMatches(llvmpipe, 'opengles')).toBe(true);
    expect(adapterMatches(h200, 'h200')).toBe(true);
    expect(adapterMatches(h200, 'llvmpipe')).toBe(false);
    expect(adapterMatches(h200, '  ')).toBe(false);
  });

  it('have a short form that selects them', () => {
    expect([swiftshader, llvmpipe, h200].map(adapterName)).toEqual(['swiftshader', 'llvmpipe', 'hopper']);
    for (const r of [swiftshader, llvmpipe, h200]) expect(adapterMatches(r, adapterName(r))).toBe(true);
    expect(adapterName(report({}))).toBe('vulkan');
  });
});

describe('planDevice with an adapter name', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of ['FTCAL_ADAPTER', 'VK_ICD_FILENAMES', 'VK_DRIVER_FILES']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  // First: SwiftShader's Dawn instance is made once per process, by whichever test asks first.
  it('probes every route, and SwiftShader’s leaves the Vulkan driver variables as they were', async () => {
    process.env.VK_ICD_FILENAMES = '/some/other/icd.json';
    delete process.env.VK_DRIVER_FILES;
    const probes = await probeAdapters();
    expect(probes.map((p) => p.route.backend)).toEqual(['default', 'opengles', 'swiftshader']);
    for (const p of probes) expect(p.found === null).toBe(p.reason !== null);
    expect(process.env.VK_ICD_FILENAMES).toBe('/some/other/icd.json');
    expect(process.env.VK_DRIVER_FILES).toBeUndefined();
    if (requireGpu) {
      expect(probes[2]!.found?.report).toMatchObject({ architecture: 'swiftshader', featureLevel: 'core' });
      expect(probes[2]!.found?.report.features).toEqual(
        expect.arrayContaining(['subgroups', 'timestamp-query']),
      );
    }
  });

  it.for(TEST_ADAPTERS)('finds %s by name, on any route, and says it was named', async (name, ctx) => {
    const plan = await planOrSkip(() => planDevice('gpu', { adapter: name }));
    if (!plan) return ctx.skip();
    expect(adapterMatches(plan.adapter!, name)).toBe(true);
    expect(plan.why).toEqual({ text: 'named with {option}', option: { name: 'adapter', value: name } });
    expect(plan.summary).toMatch(new RegExp(`\\(named with adapter: '${name}'\\)$`));
    expect(planSummary(plan, ({ value }) => `--device gpu:${value}`)).toMatch(/\(named with --device gpu:/);
    // A software adapter named explicitly is taken by auto too.
    expect((await planDevice('auto', { adapter: name })).adapter).toEqual(plan.adapter);
  });

  it('reads FTCAL_ADAPTER when no name is given, and an explicit name wins', async (ctx) => {
    const [first, second] = TEST_ADAPTERS;
    if (!first || !second) return ctx.skip();
    process.env.FTCAL_ADAPTER = first;
    const fromEnv = await planOrSkip(() => planDevice('gpu'));
    if (!fromEnv) return ctx.skip();
    expect(adapterMatches(fromEnv.adapter!, first)).toBe(true);
    expect(fromEnv.why?.text).toBe('named by FTCAL_ADAPTER');
    const named = await planDevice('gpu', { adapter: second });
    expect(adapterMatches(named.adapter!, second)).toBe(true);
    expect((await planDevice('cpu')).chosen).toBe('cpu');
  });

  it('no adapter answering to the name: gpu fails listing the adapters there are, auto takes the CPU', async () => {
    const e = await planDevice('gpu', { adapter: 'no-such-gpu' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NoAdapterError);
    const info = (e as NoAdapterError).info;
    expect(info.problem).toMatch(/^no WebGPU adapter answers to "no-such-gpu" \(/);
    if (requireGpu) {
      expect(info.problem).toMatch(/there are: .*llvmpipe \(opengles, compatibility, software\)/);
      expect(info).toMatchObject({ fix: '{option} names one of them', option: { name: 'adapter' } });
    }
    const auto = await planDevice('auto', { adapter: 'no-such-gpu' });
    expect(auto.chosen).toBe('cpu');
    expect(auto.summary).toMatch(
      /^ftcal: using the CPU backend \(no WebGPU adapter answers to "no-such-gpu"/,
    );
  });
});
