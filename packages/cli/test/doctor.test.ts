import { describe, expect, it } from 'vitest';
import { TEST_ADAPTERS } from '../../../tools/gpu-tests.ts';
import { ftcal } from './run-cli.ts';

interface Listed {
  name: string;
  backend: string;
  adapter: {
    backend: string;
    featureLevel: string;
    software: boolean;
    features: string[];
    limits: Record<string, number>;
  } | null;
  select: string | null;
  reason: string | null;
}

describe('ftcal doctor (built binary)', () => {
  it('prints one JSON document that lists every adapter route and the auto decision', () => {
    const r = ftcal(['doctor', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.schemaVersion).toBe(1);
    const listed = doc.adapters as Listed[];
    expect(listed.map((a) => a.backend)).toEqual(['default', 'opengles', 'swiftshader']);
    for (const a of listed) expect(a.adapter === null).toBe(a.reason !== null);
    expect(['webgpu', 'cpu']).toContain(doc.deviceAuto.backend);
    const [hardware, gl, swiftshader] = listed;
    if (process.env.FTCAL_REQUIRE_GPU === '1') {
      // CI's two software adapters are both required, and each says how to select it.
      expect(listed.filter((a) => a.adapter).map((a) => a.select)).toEqual(
        expect.arrayContaining(TEST_ADAPTERS.map((name) => `gpu:${name}`)),
      );
    }
    if (gl!.adapter) {
      expect(gl!.adapter.backend).toBe('opengles');
      expect(gl!.adapter.featureLevel).toBe('compatibility');
      expect(gl!.adapter.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
      // A software adapter never becomes the auto choice.
      if (gl!.adapter.software && hardware!.adapter === null) expect(doc.deviceAuto.backend).toBe('cpu');
    }
    if (swiftshader!.adapter) {
      expect(swiftshader!.select).toBe('gpu:swiftshader');
      expect(swiftshader!.adapter).toMatchObject({ backend: 'vulkan', featureLevel: 'core', software: true });
      expect(swiftshader!.adapter.features).toEqual(expect.arrayContaining(['subgroups', 'timestamp-query']));
    }
  });

  it('prints a readable report naming both software adapters and how to pick one', () => {
    const r = ftcal(['doctor']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--device auto → /);
    expect(r.stdout).toMatch(/^OpenGL ES compatibility adapter, compatibility level: /m);
    expect(r.stdout).toMatch(/^SwiftShader \(Dawn Vulkan backend\), core level: /m);
    expect(r.stdout).toMatch(/--device gpu:NAME → /);
    if (process.env.FTCAL_REQUIRE_GPU === '1') {
      for (const name of TEST_ADAPTERS) expect(r.stdout).toContain(`select with    --device gpu:${name}`);
    }
  });

  it.for(TEST_ADAPTERS)('--device gpu:%s runs there and says so', (name, ctx) => {
    const r = ftcal(['doctor', '--json'], { FTCAL_ADAPTER: name });
    const doc = JSON.parse(r.stdout);
    if (!doc.deviceGpu.summary && process.env.FTCAL_REQUIRE_GPU !== '1') return ctx.skip();
    // FTCAL_ADAPTER names the adapter for every command, auto included.
    expect(doc.deviceGpu.summary).toMatch(
      new RegExp(`^ftcal: using WebGPU on .*${name}.*\\(named by FTCAL_ADAPTER\\)$`, 'i'),
    );
    expect(doc.deviceAuto.summary).toBe(doc.deviceGpu.summary);
  });

  it('names the adapters there are when none answers to the name', () => {
    const r = ftcal(['doctor', '--json'], { FTCAL_ADAPTER: 'no-such-gpu' });
    const doc = JSON.parse(r.stdout);
    expect(doc.deviceAuto.backend).toBe('cpu');
    expect(doc.deviceGpu.error).toMatch(/^no WebGPU adapter answers to "no-such-gpu" \(/);
    if (process.env.FTCAL_REQUIRE_GPU === '1') {
      expect(doc.deviceGpu.error).toMatch(
        /\(there are: llvmpipe \(opengles, compatibility, software\); swiftshader \(vulkan, core, software\)\); FTCAL_ADAPTER names one of them$/,
      );
    }
  });

  it('falls back to the CPU backend, saying why, when Dawn cannot load its GL libraries', () => {
    // An EGL platform that does not exist makes Dawn's OpenGL ES backend find nothing, as on a machine
    // without Mesa; the hardware probe finds nothing here either (no Vulkan driver on CI).
    const r = ftcal(['doctor', '--json'], {
      EGL_PLATFORM: 'no-such-platform',
      VK_DRIVER_FILES: '/nonexistent.json',
      FTCAL_SWIFTSHADER_ICD: '/nonexistent.json',
    });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.adapters[2].reason).toMatch(
      /FTCAL_SWIFTSHADER_ICD names \/nonexistent.json, which does not exist/,
    );
    if (doc.adapters[0].adapter === null) {
      expect(doc.deviceAuto.backend).toBe('cpu');
      expect(doc.deviceAuto.summary).toMatch(/CPU backend \(.+\)/);
    }
  });

  it('exits 2 with one line for an unknown command', () => {
    const r = ftcal(['no-such-command']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command/);
  });
});
