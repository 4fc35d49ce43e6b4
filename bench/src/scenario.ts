/**
 * What a scenario is and what it reports. A scenario starts its own private redis-server, measures its
 * figures and their anchors on that one server in the same run, and returns one row per figure.
 */

/** Which way is better for a figure: a latency wants lower, a rate wants higher. */
export type Better = 'lower' | 'higher';

export interface Row {
  /** Scenario name, as selected on the command line. */
  scenario: string;
  /** What was measured, e.g. `send → receive p50`. */
  figure: string;
  value: number;
  /** What it is compared with, e.g. `LPUSH → BLPOP p50`. */
  anchor: string;
  anchorValue: number;
  unit: 'µs' | 'ms' | '/s';
  better: Better;
  /**
   * The ratio (value / anchor) the figure must reach: at most this for `lower`, at least this for
   * `higher`. Null for figures that are informational only.
   */
  target: number | null;
  /** A short remark printed under the table (scale, method, caveats). */
  note?: string;
}

export interface Scenario {
  name: string;
  /** One line: what is measured against what. */
  title: string;
  /** Set when the scenario cannot run yet; the bench lists it as pending instead of running it. */
  pending?: string;
  run(log: (line: string) => void): Promise<Row[]>;
}
