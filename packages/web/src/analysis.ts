import {
  accumulateStats,
  accuracyAt,
  algMethod,
  type Backend,
  Calibrator,
  type CalibratorJson,
  type ClassGroups,
  checkLabels,
  constrainedMethod,
  type DataStats,
  type DevicePreference,
  FtcalError,
  fingerprint,
  type GammaCurve,
  gammaCurve,
  hmeanMethod,
  InputError,
  type InputKind,
  type MethodName,
  type MethodResult,
  type MetricTable,
  makeGroups,
  type NanPolicy,
  nllMethod,
  type OperatingPoints,
  openArray,
  operatingPoints,
  oracleMethod,
  ResidentLogits,
  type RowSource,
  readClassNames,
  readGroupsFile,
  readLabels,
  renderError,
  type StatsPoint,
  selectBackend,
  withInputKind,
} from '@ftcal/core';
import { pageWording } from './wording.ts';

/** A file the user gave, and the array inside it when it is an .npz or .safetensors archive. */
export interface ArrayInput {
  file: File;
  tensor?: string;
}

export interface PageInputs {
  logits: ArrayInput;
  labels: ArrayInput;
  /** JSON {"seen": [...], "absent": [...]} or a text list of the seen classes. */
  groups: File;
  classNames?: File;
  /** The fine-tuning training data: the fitting set of alg. */
  fit?: { logits: ArrayInput; labels: ArrayInput };
  device: DevicePreference;
  bins: number;
  /** δ of constrained, in accuracy points. */
  maxSeenDrop: number;
  nanPolicy: NanPolicy;
  allowOtherLabels: boolean;
  /** What the logits files hold (DESIGN §1.2): probabilities are refused as logits unless 'probs'. */
  inputKind: InputKind;
}

/** The methods the page offers, in the order of their buttons. */
export const PAGE_METHODS = ['alg', 'oracle', 'hmean', 'constrained', 'nll'] as const;
export type PageMethod = (typeof PAGE_METHODS)[number];

/** Where a method stands: picked (with its γ, T and how), still to be fitted (nll), or unable to run. */
export type MethodState =
  | { status: 'picked'; result: MethodResult<unknown> }
  | { status: 'on-demand' }
  | { status: 'unavailable'; reason: string };

/** An operating point and what chose it: a method's name, or 'manual' for a γ set by hand (γ = 0 too). */
export interface Choice {
  method: MethodName | 'manual';
  gamma: number;
  temperature: number;
}

export interface Hooks {
  /** Long work: what is being done, and how far (total 0: no measure of it). */
  progress(label: string, done: number, total: number): void;
  /** One line about the device: which backend runs, or that a lost device moved the work to the CPU. */
  device(line: string): void;
}

/** About 4 Mi values per chunk: progress moves often, and a chunk is a few dozen MB at most. */
const CHUNK_VALUES = 4 * 1024 * 1024;
/** Logits up to this size stay in memory between the nll fit's passes; larger ones are re-read. */
const RESIDENT_BYTES = 256 * 1024 * 1024;

/** A line of core's in the page's words, without the CLI's "ftcal: " prefix. */
const deviceLine = (line: string) => line.replace(/^ftcal: /, '');

/**
 * The backend for the page's device choice: auto takes a hardware GPU and else the CPU, saying why;
 * gpu takes any navigator.gpu adapter (SwiftShader too) and, when there is none, continues on the CPU and
 * says so, since a page has no better answer to give.
 */
async function openBackend(device: DevicePreference, hooks: Hooks): Promise<Backend> {
  const options = { log: (line: string) => hooks.device(deviceLine(line)), wording: pageWording };
  try {
    return await selectBackend(device, options);
  } catch (e) {
    if (device !== 'gpu') throw e;
    hooks.device(`using the CPU backend (${renderError(e, pageWording)})`);
    return selectBackend('cpu');
  }
}

/** A 2-D logits array, guarded as the CLI guards it: probabilities passed as logits are refused. */
async function openLogits(input: ArrayInput, kind: InputKind): Promise<RowSource> {
  const source = await openArray(input.file, input.tensor === undefined ? {} : { tensor: input.tensor });
  if (source.shape.length !== 2) {
    await source.close();
    throw new InputError({
      code: 'shape',
      file: source.name,
      problem: `logits must be a 2-D array (rows × classes), got shape [${source.shape.join(', ')}]`,
      fix: 'save the logits as a matrix',
    });
  }
  return withInputKind(source, kind);
}

async function openLabels(input: ArrayInput, groups: ClassGroups, allowOtherLabels: boolean) {
  const labels = await readLabels(input.file, input.tensor === undefined ? {} : { tensor: input.tensor });
  checkLabels(labels, groups, { allowOtherLabels, what: input.file.name });
  return labels;
}

/**
 * Runs `pick`, turning a refusal the data causes (no absent-class rows, say) into the reason its button
 * shows. A bad option value (δ) is the user's to fix at once: it stays an error.
 */
function tryMethod(pick: () => MethodResult<unknown>): MethodState {
  try {
    return { status: 'picked', result: pick() };
  } catch (e) {
    if (e instanceof FtcalError && e.code !== 'option') {
      return { status: 'unavailable', reason: renderError(e, pageWording) };
    }
    throw e;
  }
}

/**
 * One labelled set loaded in the page: its per-row statistics (one streamed pass over the logits), the
 * exact γ curve, and each method's pick. Every number the page shows comes from here; moving γ reads
 * the statistics (`at`), never the logits. Only the nll fit iterates over the logits, when asked for.
 */
export class Analysis {
  readonly methods = new Map<PageMethod, MethodState>();
  /** Operating points at each temperature the statistics have been taken at (1, and nll's T). */
  private readonly points = new Map<number, OperatingPoints>();

  private constructor(
    readonly inputs: PageInputs,
    readonly backend: Backend,
    private readonly logits: RowSource,
    private readonly fitLogits: RowSource | null,
    readonly labels: Int32Array,
    readonly groups: ClassGroups,
    readonly classNames: string[] | null,
    readonly data: DataStats,
    readonly curve: GammaCurve,
  ) {
    this.points.set(1, operatingPoints(data, { bins: inputs.bins }));
  }

  /** Opens and checks every input, runs the statistics pass and the curve, and picks each method's γ. */
  static async load(inputs: PageInputs, hooks: Hooks): Promise<Analysis> {
    const opened: RowSource[] = [];
    let backend: Backend | null = null;
    try {
      const logits = await openLogits(inputs.logits, inputs.inputKind);
      opened.push(logits);
      const names = inputs.classNames ? await readClassNames(inputs.classNames) : null;
      const lists = await readGroupsFile(inputs.groups, {
        numClasses: logits.cols,
        ...(inputs.classNames ? { classNames: inputs.classNames } : {}),
      });
      const groups = makeGroups(logits.cols, lists.seen, lists.absent ?? undefined, inputs.groups.name);
      const labels = await openLabels(inputs.labels, groups, inputs.allowOtherLabels);
      let fit: { logits: RowSource; labels: Int32Array } | null = null;
      if (inputs.fit) {
        const fitLogits = await openLogits(inputs.fit.logits, inputs.inputKind);
        opened.push(fitLogits);
        fit = {
          logits: fitLogits,
          labels: await openLabels(inputs.fit.labels, groups, inputs.allowOtherLabels),
        };
      }
      backend = await openBackend(inputs.device, hooks);
      const label = `Statistics pass over ${logits.name}`;
      hooks.progress(label, 0, logits.rows);
      const data = await accumulateStats(backend, logits, {
        groups,
        labels,
        nanPolicy: inputs.nanPolicy,
        allowOtherLabels: inputs.allowOtherLabels,
        chunkRows: chunkRows(logits.cols),
        onProgress: (done, total) => hooks.progress(label, done, total),
      });
      const curve = await gammaCurve(backend, data);
      const analysis = new Analysis(
        inputs,
        backend,
        logits,
        fit?.logits ?? null,
        labels,
        groups,
        names,
        data,
        curve,
      );
      await analysis.pickMethods(fit, hooks);
      return analysis;
    } catch (e) {
      backend?.dispose();
      await Promise.all(opened.map((s) => s.close()));
      throw e;
    }
  }

  private async pickMethods(
    fit: { logits: RowSource; labels: Int32Array } | null,
    hooks: Hooks,
  ): Promise<void> {
    const { curve, data, inputs } = this;
    if (fit) {
      const label = `Statistics pass over ${fit.logits.name} (alg)`;
      const train = await accumulateStats(this.backend, fit.logits, {
        groups: this.groups,
        labels: fit.labels,
        nanPolicy: inputs.nanPolicy,
        allowOtherLabels: inputs.allowOtherLabels,
        chunkRows: chunkRows(fit.logits.cols),
        onProgress: (done, total) => hooks.progress(label, done, total),
      });
      this.methods.set(
        'alg',
        tryMethod(() => algMethod(train)),
      );
    } else {
      this.methods.set('alg', {
        status: 'unavailable',
        reason: 'alg needs fitting data: add its logits and labels',
      });
    }
    this.methods.set(
      'oracle',
      tryMethod(() => oracleMethod(curve)),
    );
    this.methods.set(
      'hmean',
      tryMethod(() => hmeanMethod(curve)),
    );
    this.methods.set(
      'constrained',
      tryMethod(() => constrainedMethod(curve, accuracyAt(data, 0)['S/Y'], inputs.maxSeenDrop)),
    );
    this.methods.set('nll', { status: 'on-demand' });
  }

  /**
   * Fits nll's (γ, T) by Newton steps over the logits (the one method that re-reads them), then takes the
   * statistics once more at its T, so the table and diagram follow γ at that temperature too.
   */
  async fitNll(hooks: Hooks): Promise<MethodResult<unknown>> {
    const state = this.methods.get('nll');
    if (state?.status === 'picked') return state.result;
    const name = this.logits.name;
    hooks.progress(`Fitting nll: Newton steps over ${name}`, 0, 0);
    const passes = ResidentLogits.of(this.logits, {
      labels: this.labels,
      keep: this.data.keep,
      residentBytes: RESIDENT_BYTES,
      chunkRows: chunkRows(this.logits.cols),
    });
    const result = await nllMethod(this.backend, passes, this.groups).finally(() => passes.release());
    await this.pointsAt(result.temperature, hooks);
    this.methods.set('nll', { status: 'picked', result });
    return result;
  }

  private async pointsAt(temperature: number, hooks: Hooks): Promise<OperatingPoints> {
    const known = this.points.get(temperature);
    if (known) return known;
    const label = `Statistics pass over ${this.logits.name} at T = ${temperature.toFixed(4)}`;
    const data = await accumulateStats(this.backend, this.logits, {
      groups: this.groups,
      labels: this.labels,
      temperature,
      nanPolicy: this.inputs.nanPolicy,
      allowOtherLabels: this.inputs.allowOtherLabels,
      chunkRows: chunkRows(this.logits.cols),
      onProgress: (done, total) => hooks.progress(label, done, total),
    });
    const points = operatingPoints(data, { bins: this.inputs.bins });
    this.points.set(temperature, points);
    return points;
  }

  /** The operating point's metrics, from the statistics at its temperature (taken by load or fitNll). */
  at(choice: Pick<Choice, 'gamma' | 'temperature'>): StatsPoint {
    const points = this.points.get(choice.temperature);
    if (!points) throw new Error(`no statistics at T = ${choice.temperature}`);
    return points.at(choice.gamma);
  }

  /** The metric table (DESIGN.md §3 names) of an operating point, as `ftcal evaluate` reports it. */
  tableOf(point: StatsPoint): MetricTable {
    const { gamma, temperature, nll, ece, brier } = point;
    const { mce, rmsce } = point.calibration;
    return { ...point.table, ausuc: this.curve.ausuc, gamma, temperature, nll, ece, mce, rmsce, brier };
  }

  /** The calibrator `ftcal apply` and the library read, with fingerprints of the data it was fitted on. */
  async calibrator(choice: Choice): Promise<CalibratorJson> {
    const fingerprints = [await fingerprint(this.logits)];
    if (this.fitLogits) fingerprints.push(await fingerprint(this.fitLogits));
    return new Calibrator({
      groups: this.groups,
      gamma: choice.gamma,
      temperature: choice.temperature,
      method: choice.method,
      fingerprints,
    }).toJSON();
  }

  async dispose(): Promise<void> {
    this.backend.dispose();
    await this.logits.close();
    await this.fitLogits?.close();
  }
}

function chunkRows(cols: number): number {
  return Math.max(1, Math.floor(CHUNK_VALUES / Math.max(1, cols)));
}
