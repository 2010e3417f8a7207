// Headless Chromium for the browser tests and the page benchmark: Debian's chromium (or $CHROMIUM) with
// WebGPU on SwiftShader and the network closed (DEVELOPERS.md). Callers launch it with playwright-core's
// chromium.launchPersistentContext(<fresh profile dir>, { executablePath: CHROMIUM, headless: true,
// args: CHROMIUM_FLAGS }): a new profile every run, so nothing is remembered from an earlier page.
import { existsSync } from 'node:fs';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** The flags that give headless Chromium WebGPU on SwiftShader with the network closed. */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--enable-features=Vulkan',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Whether the browser tests can run: true with Chromium installed; false (skip) without it, unless
 * CI=true, where a missing Chromium is an error.
 */
export function haveChromium(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true')
    throw new Error(`CI=true but ${CHROMIUM} is missing: install Debian's chromium`);
  return false;
}
