/**
 * The tracks CSV is written a fixed number of frames behind processing, so that the rows of a
 * track's first frames already carry the global id it settles on (a track's id is decided
 * after a few good crops, see IdentityGallery). Rows stay in frame order; the delay is bounded
 * (`delayFrames` frames of rows are held), and everything is flushed when the camera ends.
 */
import type { TrackCsvRow, TracksCsvWriter } from '../output/tracks-csv.js';

export class LateRows {
  /** Held rows, oldest frame first: one entry per processed frame (possibly empty). */
  private readonly frames: TrackCsvRow[][] = [];

  constructor(
    private readonly csv: TracksCsvWriter,
    readonly delayFrames: number,
    /** The global id (and reference name) a track carries now, or undefined. */
    private readonly identityOf: (trackId: number) => { globalId: number; similarity: number; name?: string } | undefined,
  ) {}

  /** Holds one processed frame's rows; writes the frame that is now `delayFrames` old. */
  async push(rows: TrackCsvRow[]): Promise<void> {
    this.frames.push(rows);
    if (this.frames.length > this.delayFrames) await this.writeOldest();
  }

  /** Writes every held frame (the camera ended). */
  async flush(): Promise<void> {
    while (this.frames.length > 0) await this.writeOldest();
  }

  private async writeOldest(): Promise<void> {
    const rows = this.frames.shift()!;
    for (const row of rows) {
      const identity = this.identityOf(row.trackId);
      if (identity !== undefined && row.globalId == null) {
        row.globalId = identity.globalId;
        row.similarity = identity.similarity;
        if (identity.name !== undefined) row.personName = identity.name;
      }
      const pending = this.csv.write(row);
      if (pending !== undefined) await pending; // only when the CSV stream asks the writer to wait
    }
  }
}
