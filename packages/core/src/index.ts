// One name set for Node and the browser: package.json's "node" and "browser" conditions pick a build of
// this entry bundled with platform/node.ts or platform/browser.ts (DESIGN.md §2).
export type {
  AccumulatorJob,
  Backend,
  LabelRankOptions,
  LabelRanks,
  MatmulOptions,
  NllGradOptions,
  NllGradResult,
  NllPassOptions,
  RowMoments,
  RowPass,
  RowPassOptions,
  RowStats,
  RowStatsOptions,
  ScoreOptions,
  SoftmaxOptions,
  SortedKeys,
} from './backend/backend.ts';
export { CpuBackend } from './backend/cpu.ts';
export { withCpuFallback } from './backend/fallback.ts';
export {
  type LogitChunk,
  type Releasable,
  ResidentLogits,
  type ResidentLogitsOptions,
} from './backend/resident-logits.ts';
export { checkLabelIndices, checkShape } from './backend/validate.ts';
export { WebGpuBackend } from './backend/webgpu.ts';
export {
  ACCUMULATORS,
  addState,
  type ChunkAccumulator,
  type ChunkRows,
  type DeviceChunk,
} from './calib/accumulators.ts';
export {
  type AccuracyTable,
  accuracyAt,
  accuracyOfOutcomes,
  type LabelledStats,
  type RowOutcomes,
  rowOutcomes,
  thresholds,
} from './calib/accuracy.ts';
export {
  CALIBRATOR_SCHEMA_VERSION,
  type CalibratedOutput,
  type CalibrationMap,
  Calibrator,
  type CalibratorJson,
  type Fingerprint,
  fingerprint,
  type LinearMapJson,
} from './calib/calibrator.ts';
export {
  ausuc,
  bestPoint,
  type CurvePoint,
  type GammaCurve,
  gammaCurve,
  requireBothGroups,
} from './calib/curve.ts';
export {
  type Diagnostics,
  diagnostics,
  type HeadWeights,
  type Summary,
  weightNorms,
} from './calib/diagnostics.ts';
export {
  type CalibrateInput,
  type CalibrateOptions,
  type Calibration,
  type CurveSummary,
  calibrate,
  calibrateStats,
  type DataSummary,
  type EngineOptions,
  EVALUATION_SCHEMA_VERSION,
  type EvaluateInput,
  type EvaluateStatsOptions,
  type Evaluation,
  evaluate,
  evaluateStats,
  type LabelledSet,
  type MethodRow,
  type MetricTable,
  needsLogits,
  type TrainingSet,
  thresholdsByLabelGroup,
} from './calib/evaluate.ts';
export {
  ABSENT,
  type ClassGroups,
  checkLabels,
  groupsFromCodes,
  makeGroups,
  OTHER,
  SEEN,
} from './calib/groups.ts';
export { countAbsent } from './calib/linear/data.ts';
export {
  DEFAULT_ODIR,
  FITTED_LINEAR_METHODS,
  type FittedLinearMethod,
  isFittedLinear,
  type Odir,
} from './calib/linear/family.ts';
export {
  fitLinear,
  type LinearFitOptions,
  type LinearFitResult,
  refuseUnfittable,
} from './calib/linear/fit.ts';
export { type LinearMap, linearScores } from './calib/linear/map.ts';
export { DEFAULT_FULL_MAP_PARAMETERS, type DefaultSkip, defaultSkip } from './calib/linear/method.ts';
export type { LinearFitDetails, LinearNewtonOptions, LinearStopReason } from './calib/linear/newton.ts';
export { type WaDetails, weightAligning } from './calib/linear/wa.ts';
export { type AlgDetails, type AlgTerms, algMethod, algTerms } from './calib/methods/alg.ts';
export {
  type ConstrainedDetails,
  constrainedMethod,
  hmeanMethod,
  oracleMethod,
  type PickDetails,
} from './calib/methods/curve-picks.ts';
export type { NewtonDetails, NewtonOptions } from './calib/methods/newton.ts';
export {
  type NllOptions,
  nllMethod,
  type TemperatureOptions,
  temperatureMethod,
} from './calib/methods/nll.ts';
export { type PcvDetails, type PcvFold, type PcvFoldResult, pcvMethod } from './calib/methods/pcv.ts';
export {
  isLinearMethod,
  LINEAR_METHOD_NAMES,
  type LinearMethodName,
  METHOD_NAMES,
  type MethodName,
  type MethodResult,
} from './calib/methods/result.ts';
export {
  type BootstrapInput,
  type BootstrapIntervals,
  type BootstrapMetric,
  type BootstrapOptions,
  bootstrapIntervals,
  type Interval,
  weightedMetrics,
} from './calib/metrics/bootstrap.ts';
export {
  type BinErrors,
  equalWidthBin,
  equalWidthEdges,
  errorsOfBins,
  errorsOfTotals,
} from './calib/metrics/calibration-error.ts';
export {
  type ClasswiseEce,
  type ClasswiseParams,
  classwiseAccumulator,
  classwiseJob,
  classwiseOf,
} from './calib/metrics/classwise.ts';
export {
  accumulateOver,
  bootstrapAt,
  extraJobs,
  extrasOf,
  type MetricOptions,
  type PointExtras,
  statesOf,
} from './calib/metrics/extras.ts';
export {
  INPUT_KINDS,
  type InputKind,
  looksLikeProbabilities,
  withInputKind,
} from './calib/metrics/input-kind.ts';
export { Xoshiro128 } from './calib/metrics/random.ts';
export {
  checkTopK,
  TOP_K_SPLITS,
  type TopKKey,
  type TopKParams,
  type TopKTable,
  topKAccumulator,
  topKJob,
  topKTable,
} from './calib/metrics/topk.ts';
export {
  type Binning,
  type CalibrationError,
  type ConfidenceMetrics,
  confidenceMetrics,
  type MetricsOptions,
  type ReliabilityBin,
  type RowConfidence,
  rowConfidence,
  type TemperedStats,
} from './calib/metrics.ts';
export { type NcmInput, type NcmResult, ncm } from './calib/ncm.ts';
export { type OperatingPoints, operatingPoints, type StatsPoint } from './calib/operating-point.ts';
export { F32_MAX, MAX_BINS, MAX_CLASSES, OPTION_KINDS, type OptionKind } from './calib/option-checks.ts';
export {
  type AccumulatedState,
  accumulateStats,
  type DataStats,
  type NanPolicy,
  type StatsOptions,
  statsOfArray,
} from './calib/stats.ts';
export {
  mergeStats,
  readStatsFile,
  STATS_SCHEMA_VERSION,
  type StatsFile,
  type StatsFileHeader,
  writeStatsFile,
} from './calib/stats-file.ts';
export { statsAtTemperature } from './calib/tempered.ts';
export { colSumCpu } from './cpu/col-sum.ts';
export { cpuThreads, PARALLEL_MIN_WORK, ParallelCpu, type ParallelCpuOptions } from './cpu/parallel.ts';
export { emptyRowMoments, emptyRowStats } from './cpu/row-stats.ts';
export { sortableBits, sortKeysCpu } from './cpu/sort.ts';
export {
  type AdapterProbe,
  type AdapterReport,
  adapterMatches,
  adapterName,
  createGpu,
  describeAdapter,
  type FoundAdapter,
  findAdapter,
  KERNEL_LIMITS,
  LIMITS_OF_INTEREST,
  OPTIONAL_FEATURES,
  probeAdapters,
} from './device/adapter.ts';
export {
  type DevicePlan,
  type DevicePreference,
  openBackend,
  type PlanOptions,
  type PlanReason,
  planDevice,
  planSummary,
  type SelectOptions,
  selectBackend,
} from './device/select.ts';
export {
  type ErrorCode,
  type ErrorInfo,
  FtcalError,
  formatError,
  GpuError,
  InputError,
  libraryWording,
  NoAdapterError,
  type OptionRef,
  type OptionWording,
  renderError,
} from './errors.ts';
export { GpuContext, type GpuFeatures, rowGrid } from './gpu/context.ts';
export { GpuPassTimer, type PassTiming } from './gpu/pass-timer.ts';
export * from './io/index.ts';
export { arraySource, type RowSource, rowChunks } from './io/row-source.ts';
export type { AdapterRoute, GpuBackendName } from './platform/platform.ts';
export * from './report/index.ts';
export { type GpuRange, recordColSum } from './webgpu/col-sum.ts';
export {
  type DeviceLogitChunk,
  DeviceLogits,
  type DeviceLogitsOptions,
  deviceLogits,
} from './webgpu/device-logits.ts';
export {
  type MatmulBuffers,
  type MatmulChunks,
  type MatmulProblem,
  type MatmulVariant,
  matmulGpu,
  pickMatmulVariant,
  planMatmulChunks,
  type RecordedMatmul,
  type RecordOptions,
  recordMatmul,
  runsTiled128,
  vec4Loadable,
} from './webgpu/matmul.ts';
export {
  type RecordedRows,
  type ResidentRowStatsOptions,
  type ResidentRows,
  type ResidentSoftmaxOptions,
  readRowStats,
  recordRowStats,
  recordSoftmax,
  rowStatsBytes,
} from './webgpu/resident-rows.ts';
export {
  GpuBuffers,
  planRowChunks,
  type RowChunk,
  type RowJob,
  runRowChunks,
} from './webgpu/row-runner.ts';
export { type RadixSortTuning, sortKeysGpu } from './webgpu/sort.ts';
