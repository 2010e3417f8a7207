import {
  FtcalError,
  type MetricTable,
  methodNote,
  reliabilityPanelOf,
  reliabilitySvg,
  renderError,
} from '@ftcal/core';
import { Analysis, type Choice, type Hooks, PAGE_METHODS, type PageMethod } from './analysis.ts';
import { CurveView } from './curve-view.ts';
import { acceptDrops, FileField } from './files.ts';
import { fixed, metricText } from './format.ts';
import { methodRows } from './methods-table.ts';
import { pageReport } from './report.ts';
import { pageWording } from './wording.ts';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const form = $<HTMLFormElement>('inputs');
const evaluateButton = $<HTMLButtonElement>('evaluate');
const errorLine = $('error');
const statusLine = $('status');
const deviceLine = $('device-line');
const progressBox = $('progress-box');
const progressLabel = $('progress-label');
const progressBar = $<HTMLProgressElement>('progress');
const results = $('results');
const slider = $<HTMLInputElement>('gamma-slider');
const exact = $<HTMLInputElement>('gamma-number');
const methodNoteLine = $('method-note');
const summary = $('summary');
const reliabilityPlot = $('reliability-plot');
const methodButtons = new Map(
  PAGE_METHODS.map((m) => [m, document.querySelector<HTMLButtonElement>(`button[data-method="${m}"]`)!]),
);

/** A bad file or option: the one line the CLI prints, in the page's words, and nothing else. */
function showError(e: unknown): void {
  if (!(e instanceof FtcalError)) console.error(e);
  errorLine.textContent =
    e instanceof FtcalError ? renderError(e, pageWording) : `internal error: ${renderError(e)}`;
  errorLine.hidden = false;
}

function clearError(): void {
  errorLine.hidden = true;
  errorLine.textContent = '';
}

const hooks: Hooks = {
  progress(label, done, total) {
    progressBox.hidden = false;
    progressLabel.textContent =
      total > 0 ? `${label}: ${done.toLocaleString('en')} of ${total.toLocaleString('en')} rows` : label;
    if (total > 0) {
      progressBar.max = total;
      progressBar.value = done;
    } else progressBar.removeAttribute('value');
  },
  device(line) {
    deviceLine.textContent = line;
  },
};

const fields = {
  logits: new FileField('logits', ['logits', 'scores', 'arr_0'], showError, clearError),
  labels: new FileField('labels', ['labels', 'targets', 'y', 'arr_0'], showError, clearError),
  fitLogits: new FileField('fit-logits', ['logits', 'scores', 'arr_0'], showError, clearError),
  fitLabels: new FileField('fit-labels', ['labels', 'targets', 'y', 'arr_0'], showError, clearError),
};
for (const id of ['groups', 'class-names']) acceptDrops($<HTMLInputElement>(`${id}-file`), clearError);
const fileOf = (id: string) => $<HTMLInputElement>(`${id}-file`).files?.[0];

let analysis: Analysis | null = null;
const curveView = new CurveView($('curve-plot'), (gamma) =>
  setChoice({ method: 'manual', gamma, temperature: choice.temperature }),
);
let choice: Choice = { method: 'manual', gamma: 0, temperature: 1 };
let busy = false;

async function withBusy<T>(work: () => Promise<T>): Promise<T | undefined> {
  if (busy) return undefined;
  busy = true;
  evaluateButton.disabled = true;
  for (const b of methodButtons.values()) b.setAttribute('aria-disabled', 'true');
  try {
    return await work();
  } catch (e) {
    showError(e);
    return undefined;
  } finally {
    busy = false;
    evaluateButton.disabled = false;
    progressBox.hidden = true;
    if (analysis) updateMethodButtons(analysis);
  }
}

async function evaluate(): Promise<void> {
  clearError();
  const logits = await fields.logits.value();
  const labels = await fields.labels.value();
  const groups = fileOf('groups');
  if (!logits || !labels || !groups) {
    errorLine.textContent = 'choose the logits, labels and class-groups files first';
    errorLine.hidden = false;
    return;
  }
  const fitLogits = await fields.fitLogits.value();
  const fitLabels = await fields.fitLabels.value();
  if (Boolean(fitLogits) !== Boolean(fitLabels)) {
    errorLine.textContent = `${fitLogits ? 'fitting logits' : 'fitting labels'} without ${fitLogits ? 'fitting labels' : 'fitting logits'}; give the fitting set's logits and labels together`;
    errorLine.hidden = false;
    return;
  }
  const classNames = fileOf('class-names');
  await withBusy(async () => {
    await analysis?.dispose();
    analysis = null;
    results.hidden = true;
    statusLine.textContent = `Reading ${logits.file.name}…`;
    performance.mark('ftcal:evaluate:start');
    const loaded = await Analysis.load(
      {
        logits,
        labels,
        groups,
        ...(classNames ? { classNames } : {}),
        ...(fitLogits && fitLabels ? { fit: { logits: fitLogits, labels: fitLabels } } : {}),
        device: $<HTMLSelectElement>('device').value as 'auto' | 'gpu' | 'cpu',
        bins: $<HTMLInputElement>('bins').valueAsNumber,
        maxSeenDrop: $<HTMLInputElement>('max-seen-drop').valueAsNumber,
        nanPolicy: $<HTMLInputElement>('nan-skip').checked ? 'skip' : 'error',
        allowOtherLabels: $<HTMLInputElement>('allow-other').checked,
        inputKind: $<HTMLInputElement>('probs').checked ? 'probs' : 'logits',
      },
      hooks,
    );
    analysis = loaded;
    showResults(loaded);
    performance.measure('ftcal:evaluate', 'ftcal:evaluate:start');
    const seconds = performance.getEntriesByName('ftcal:evaluate').at(-1)!.duration / 1000;
    const dropped = loaded.data.sourceRows - loaded.data.rows;
    statusLine.textContent =
      `Evaluated ${loaded.data.rows} rows × ${loaded.data.cols} classes of ${logits.file.name} in ${seconds.toFixed(2)} s` +
      (dropped > 0 ? ` (${dropped} rows dropped)` : '') +
      '.';
  });
}

function marksOf(a: Analysis) {
  const zero = a.at({ gamma: 0, temperature: 1 }).table;
  const marks = [{ label: 'γ = 0', gamma: 0, seen: zero['S/Y'], unseen: zero['U/Y'], overall: zero['Y/Y'] }];
  for (const m of PAGE_METHODS) {
    const s = a.methods.get(m);
    if (s?.status !== 'picked') continue;
    const t = a.at(s.result).table;
    marks.push({ label: m, gamma: s.result.gamma, seen: t['S/Y'], unseen: t['U/Y'], overall: t['Y/Y'] });
  }
  return marks;
}

function showResults(a: Analysis): void {
  results.hidden = false;
  redraw(a);
  setChoice({ method: 'manual', gamma: 0, temperature: 1 });
}

/** The parts that change when a method is picked: the marks on the curve, the slider's range, the tables. */
function redraw(a: Analysis): void {
  curveView.draw(a.curve, marksOf(a));
  const [lo, hi] = curveView.gammaRange;
  slider.min = String(lo);
  slider.max = String(hi);
  slider.step = String((hi - lo) / 1000);
  updateMethodButtons(a);
  const body = $('methods').querySelector('tbody')!;
  body.replaceChildren(...methodRows(a));
}

function updateMethodButtons(a: Analysis): void {
  for (const [m, button] of methodButtons) {
    const state = a.methods.get(m)!;
    button.removeAttribute('aria-disabled');
    button.disabled = state.status === 'unavailable';
    button.title =
      state.status === 'unavailable'
        ? state.reason
        : state.status === 'on-demand'
          ? 'fits (γ, T) by Newton steps over the logits, then jumps there'
          : `γ = ${state.result.gamma}, T = ${state.result.temperature}`;
    button.setAttribute('aria-pressed', String(choice.method === m));
  }
}

let frame = 0;
let announce = 0;

/** Moves the operating point; the page follows on the next animation frame. */
function setChoice(next: Choice, fromSlider = false): void {
  choice = next;
  if (!fromSlider) slider.value = String(next.gamma);
  cancelAnimationFrame(frame);
  frame = requestAnimationFrame(render);
}

function render(): void {
  const a = analysis;
  if (!a) return;
  const point = a.at(choice);
  const table = a.tableOf(point);
  showTable(table);
  // Eight significant digits in the field; the exact value is in data-value, and typed values are taken whole.
  if (document.activeElement !== exact) exact.value = String(Number(choice.gamma.toPrecision(8)));
  slider.setAttribute('aria-valuetext', `γ = ${fixed(choice.gamma, 4)}, Y/Y ${fixed(table['Y/Y'], 2)} %`);
  curveView.show(choice.gamma, point.table);
  const zero = a.at({ gamma: 0, temperature: 1 });
  reliabilityPlot.innerHTML = reliabilitySvg(
    [
      reliabilityPanelOf('γ = 0, T = 1', zero.calibration),
      reliabilityPanelOf(
        `γ = ${fixed(choice.gamma, 3)}, T = ${fixed(choice.temperature, 3)}`,
        point.calibration,
      ),
    ],
    'page-reliability',
  );
  for (const [m, b] of methodButtons) b.setAttribute('aria-pressed', String(choice.method === m));
  const state = choice.method === 'manual' ? null : a.methods.get(choice.method as PageMethod);
  methodNoteLine.textContent =
    state?.status === 'picked' ? `${choice.method}: ${methodNote(state.result)}` : 'γ set by hand';
  // The live region speaks once the value settles, not at every step of a drag.
  clearTimeout(announce);
  announce = window.setTimeout(() => {
    summary.textContent = `γ = ${fixed(choice.gamma, 4)}, T = ${fixed(choice.temperature, 4)}: Y/Y ${fixed(table['Y/Y'], 2)} %, S/Y ${fixed(table['S/Y'], 2)} %, U/Y ${fixed(table['U/Y'], 2)} %, H ${fixed(table.H, 2)} %, NLL ${fixed(table.nll, 4)}, ECE ${fixed(table.ece, 4)}`;
  }, 500);
}

function showTable(table: MetricTable): void {
  const values: Record<string, number | undefined> = { ...table };
  for (const cell of document.querySelectorAll<HTMLElement>('[data-metric]')) {
    const key = cell.dataset.metric!;
    const value = values[key];
    if (value === undefined) continue;
    cell.dataset.value = String(value);
    cell.textContent = metricText(key, value);
  }
}

slider.addEventListener('input', () =>
  setChoice({ method: 'manual', gamma: slider.valueAsNumber, temperature: choice.temperature }, true),
);
exact.addEventListener('change', () => {
  const gamma = Number(exact.value);
  if (exact.value.trim() === '' || !Number.isFinite(gamma)) {
    exact.value = String(choice.gamma);
    return;
  }
  setChoice({ method: 'manual', gamma, temperature: choice.temperature });
});
document.querySelector('button[data-control="reset"]')!.addEventListener('click', () => {
  setChoice({ method: 'manual', gamma: 0, temperature: 1 });
});

for (const [m, button] of methodButtons) {
  button.addEventListener('click', async () => {
    const a = analysis;
    if (!a || busy) return;
    const state = a.methods.get(m)!;
    if (state.status === 'unavailable') return;
    if (state.status === 'picked') {
      setChoice({ method: m, gamma: state.result.gamma, temperature: state.result.temperature });
      return;
    }
    await withBusy(async () => {
      statusLine.textContent = 'Fitting nll…';
      const r = await a.fitNll(hooks);
      redraw(a);
      setChoice({ method: m, gamma: r.gamma, temperature: r.temperature });
      statusLine.textContent = `nll fitted: γ = ${fixed(r.gamma, 4)}, T = ${fixed(r.temperature, 4)}.`;
    });
  });
}

/** Offers `text` as a download; nothing is uploaded anywhere, the bytes go from memory to the disk. */
function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

$('download-calibrator').addEventListener('click', () =>
  withBusy(async () => {
    const json = await analysis!.calibrator(choice);
    download('calibrator.json', 'application/json', `${JSON.stringify(json, null, 2)}\n`);
  }),
);
$('download-report').addEventListener('click', () =>
  withBusy(async () => {
    download('ftcal-report.html', 'text/html', pageReport(analysis!, choice));
  }),
);

form.addEventListener('submit', (e) => {
  e.preventDefault();
  void evaluate();
});
window.addEventListener('pagehide', () => void analysis?.dispose());
