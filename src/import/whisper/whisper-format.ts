/**
 * The whisper file layout (python3-whisper's whisper.py), all big-endian:
 * metadata `!2LfL`, one `!3L` archive info per archive, then each archive's
 * ring of `!Ld` points at its offset.
 */
export const METADATA_SIZE = 16;
export const ARCHIVE_INFO_SIZE = 12;
export const POINT_SIZE = 12;

/** aggregationType → whisper's method name (index = the stored number). */
export const AGGREGATION_METHODS = ["", "average", "sum", "last", "max", "min", "avg_zero", "absmax", "absmin"] as const;
export type AggregationMethod = Exclude<(typeof AGGREGATION_METHODS)[number], "">;

export interface WhisperArchiveInfo {
  readonly offset: number;
  readonly secondsPerPoint: number;
  readonly points: number;
}

export interface WhisperHeader {
  readonly aggregationMethod: AggregationMethod;
  readonly maxRetention: number;
  readonly xFilesFactor: number;
  /** Finest first, as whisper keeps them. */
  readonly archives: readonly WhisperArchiveInfo[];
}

/** A file that is not a whisper file, or is cut short: the reader's only error. */
export class WhisperFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WhisperFormatError";
  }
}
