export { escapeXml } from './escape.ts';
export {
  curvePlotOf,
  gammaIntervalsOf,
  intervalRowsOf,
  markOf,
  methodRowOf,
  reliabilityPanelOf,
  thresholdGroupsOf,
} from './from-calib.ts';
export { renderReportHtml } from './html.ts';
export { methodNote } from './method-notes.ts';
export { type GammaCurveLayout, gammaCurveLayout, gammaCurveSvg } from './svg/gamma-curve.ts';
export { logitGapSvg } from './svg/logit-gap.ts';
export { reliabilitySvg } from './svg/reliability.ts';
export type {
  CurveMark,
  GammaCurvePlot,
  GammaInterval,
  IntervalRow,
  LogitGapPlot,
  ReliabilityPanel,
  ReportInput,
  ReportMethodRow,
  ThresholdGroups,
} from './types.ts';
export { reportPlots, writeReport, writeReportPlots } from './write.ts';
