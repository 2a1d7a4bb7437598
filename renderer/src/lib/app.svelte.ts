/** App-wide state: the connection, which view is open, the theme, models, errors and the log. */
import { ContractError, type AppInfo, type HwrApi, type HwrEvent, type ModelList } from '../../../app/contract.ts';
import type { Transport } from './api.ts';

export type View = 'scan' | 'draw' | 'autoencoder' | 'train' | 'models' | 'samples';
export const VIEWS: { id: View; label: string; key: string }[] = [
  { id: 'scan', label: 'Scan', key: '1' },
  { id: 'draw', label: 'Draw', key: '2' },
  { id: 'autoencoder', label: 'Autoencoder', key: '3' },
  { id: 'train', label: 'Train', key: '4' },
  { id: 'models', label: 'Models', key: '5' },
  { id: 'samples', label: 'Samples', key: '6' },
];

export interface Banner {
  id: number;
  message: string;
  code?: string;
}

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  time: string;
}

const THEME_KEY = 'hwr.theme';
const MAX_LOG = 300;

export class AppState {
  view = $state<View>('scan');
  theme = $state<'light' | 'dark'>('light');
  info = $state.raw<AppInfo | null>(null);
  models = $state.raw<ModelList | null>(null);
  banners = $state.raw<Banner[]>([]);
  log = $state.raw<LogLine[]>([]);
  showHelp = $state(false);
  private nextBanner = 1;

  constructor(
    readonly api: HwrApi,
    readonly transport: Transport,
  ) {
    const saved = typeof localStorage !== 'undefined' ? localStorage.getItem(THEME_KEY) : null;
    this.theme = saved === 'dark' || saved === 'light' ? saved : matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
    api.onEvent((event) => this.onEvent(event));
  }

  async start(): Promise<void> {
    await Promise.all([this.api.appInfo({}).then((info) => (this.info = info)), this.refreshModels()]).catch((err: unknown) => this.report(err));
  }

  toggleTheme(): void {
    this.theme = this.theme === 'dark' ? 'light' : 'dark';
    localStorage.setItem(THEME_KEY, this.theme);
  }

  async refreshModels(): Promise<void> {
    try {
      this.models = await this.api.listModels({});
    } catch (err) {
      this.report(err);
    }
  }

  async activate(id: string): Promise<void> {
    try {
      this.models = await this.api.activateModel({ id });
    } catch (err) {
      this.report(err);
    }
  }

  /** Shows an error in a banner; returns nothing so it can end a catch. */
  report(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const code = err instanceof ContractError ? err.code : undefined;
    if (this.banners.some((b) => b.message === message)) return;
    this.banners = [...this.banners, { id: this.nextBanner++, message, code }].slice(-4);
  }

  dismiss(id: number): void {
    this.banners = this.banners.filter((b) => b.id !== id);
  }

  get activeClassifier(): string | null {
    return this.models?.active.classifier ?? null;
  }

  private onEvent(event: HwrEvent): void {
    if (event.type === 'log') this.log = [...this.log, { level: event.level, message: event.message, time: event.time }].slice(-MAX_LOG);
    if (event.type === 'train-status' && (event.status.state === 'done' || event.status.state === 'cancelled')) void this.refreshModels();
  }
}
