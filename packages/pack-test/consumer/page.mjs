// The browser consumer, bundled from the npm install with esbuild --platform=browser and run in headless
// Chromium. The toy files come as Files (as from <input type="file"> or fetch); `runFtcal(mode)` runs the
// same workload as the Node consumer: cpu and gpu by name (gpu is navigator.gpu, SwiftShader there),
// device on a GPUDevice the page made itself and keeps.
import * as core from '@ftcal/core';
import { cpuMatmul, runConsumer, TOY_FILES } from './workload.mjs';

async function toyFiles() {
  const entries = await Promise.all(
    Object.entries(TOY_FILES).map(async ([k, name]) => {
      const response = await fetch(`toy/${name}`);
      if (!response.ok) throw new Error(`toy/${name}: HTTP ${response.status}`);
      return [k, new File([await response.blob()], name)];
    }),
  );
  return Object.fromEntries(entries);
}

window.runFtcal = async (mode) => {
  const lines = [];
  const makeDevice = async (requiredLimits) =>
    (await navigator.gpu.requestAdapter()).requestDevice({ requiredLimits });
  const result = await runConsumer(core, mode, await toyFiles(), makeDevice, (line) => lines.push(line));
  return { ...result, lines };
};

/** What `auto` picks here, and what a path or a request for worker threads gets in a browser. */
window.probeFtcal = async () => {
  const auto = await core.planDevice('auto');
  const path = await core.openArray('logits.npy').then(
    () => null,
    (e) => ({ name: e.name, code: e.code, message: e.message }),
  );
  const twoThreads = (() => {
    try {
      return new core.CpuBackend({ threads: 2 }).name;
    } catch (e) {
      return { name: e.name, message: e.message };
    }
  })();
  return {
    auto: { chosen: auto.chosen, summary: auto.summary },
    path,
    threads: core.cpuThreads(),
    twoThreads,
  };
};

window.matmulFtcal = () => cpuMatmul(core);
