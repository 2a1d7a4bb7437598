/**
 * Training runs on disk: HWR_HOME/runs/<run id>/ holds what the trainer writes (model.onnx,
 * checkpoint, pictures, card) and run.json, the record the app keeps of the run.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../base/atomic.ts';
import type { ErrorDTO, PersonalizationReport, TrainRequest, TrainState } from '../contract.ts';
import type { PersonalizeOptions } from '../train/personalize.ts';
import type { EpochRecord, TrainOptions, TrainResult } from '../train/types.ts';

export interface RunRecord {
  runId: string;
  /** Absent in records written before personalisation existed: a training run. */
  kind?: 'train' | 'personalize';
  request: TrainRequest;
  options: TrainOptions;
  /** Personalisation runs: what the worker was given (resume sends it again). */
  /** `queue`: the run trains on a worker of the queue on this Redis. */
  personalize?: { options: PersonalizeOptions; samplesDir: string; queue?: string };
  personalization?: PersonalizationReport;
  /** The process that follows the run (pid, start time in ms); a run left 'running' by a process that is gone was interrupted. */
  owner?: { pid: number; started: number };
  state: TrainState;
  startedAt: string;
  finishedAt?: string;
  backend?: string;
  history: EpochRecord[];
  result?: TrainResult;
  error?: ErrorDTO;
}

export const RUN_FILE = 'run.json';
export const RUN_MODEL = 'model.onnx';
const RUN_ID = /^run-[0-9a-z-]+$/;

export function isRunId(id: string): boolean {
  return RUN_ID.test(id);
}

/** A new run id that sorts by time: run-YYYYMMDD-HHMMSS-xxxx. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15).toLowerCase();
  return `run-${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}

export function readRun(runsDir: string, runId: string): RunRecord | null {
  if (!isRunId(runId)) return null;
  try {
    const record = JSON.parse(readFileSync(join(runsDir, runId, RUN_FILE), 'utf8')) as RunRecord;
    return record.runId === runId ? record : null;
  } catch {
    return null;
  }
}

export function writeRun(runsDir: string, record: RunRecord): void {
  writeFileAtomic(join(runsDir, record.runId, RUN_FILE), JSON.stringify(record, null, 2) + '\n');
}

/** Every readable run, newest first. */
export function listRuns(runsDir: string): RunRecord[] {
  if (!existsSync(runsDir)) return [];
  return readdirSync(runsDir)
    .filter(isRunId)
    .sort()
    .reverse()
    .map((id) => readRun(runsDir, id))
    .filter((r): r is RunRecord => r !== null);
}

export const runModelPath = (runsDir: string, runId: string): string => join(runsDir, runId, RUN_MODEL);
