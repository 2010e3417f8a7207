import { describe, expect, it } from 'vitest';
import { ftcal } from './run-cli.ts';

describe('ftcal doctor (built binary)', () => {
  it('prints one JSON document that names the adapters and the auto decision', () => {
    const r = ftcal(['doctor', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.schemaVersion).toBe(1);
    expect(doc.adapters).toHaveLength(2);
    expect(['webgpu', 'cpu']).toContain(doc.deviceAuto.backend);
    const gl = doc.adapters[1];
    if (process.env.FTCAL_REQUIRE_GPU === '1') {
      const any = doc.adapters.some((a: { adapter: unknown }) => a.adapter !== null);
      expect(any, JSON.stringify(doc.adapters)).toBe(true);
    }
    if (gl.adapter) {
      expect(gl.adapter.backend).toBe('opengles');
      expect(gl.adapter.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
      // A software adapter never becomes the auto choice.
      if (gl.adapter.software && doc.adapters[0].adapter === null) expect(doc.deviceAuto.backend).toBe('cpu');
    }
  });

  it('prints a readable report', () => {
    const r = ftcal(['doctor']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--device auto → /);
    expect(r.stdout).toMatch(/OpenGL ES adapter/);
  });

  it('falls back to the CPU backend, saying why, when Dawn cannot load its GL libraries', () => {
    // An EGL platform that does not exist makes Dawn's OpenGL ES backend find nothing, as on a machine
    // without Mesa; the hardware probe finds nothing here either (no Vulkan driver on CI).
    const r = ftcal(['doctor', '--json'], {
      EGL_PLATFORM: 'no-such-platform',
      VK_DRIVER_FILES: '/nonexistent.json',
    });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
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
