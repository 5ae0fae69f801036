/** One benchmark figure. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** The goal, where there is one (higher is better unless `lowerIsBetter`). */
  goal?: number;
  lowerIsBetter?: boolean;
}
