import { type Logger, pino } from "pino";

export interface CapturedLog {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A debug-level pino logger that keeps every line (parsed) in memory for assertions. */
export function captureLogger(): { logger: Logger; lines: CapturedLog[] } {
  const lines: CapturedLog[] = [];
  const logger = pino(
    { level: "debug" },
    { write: (line: string) => lines.push(JSON.parse(line) as CapturedLog) },
  );
  return { logger, lines };
}
