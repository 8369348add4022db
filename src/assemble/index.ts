export { SeriesAssembler, type SeriesAssemblerOptions } from './seriesAssembler';
export { trustedExpectedCount, type ExpectedCountInput } from './expectedCount';
