/** App-wide state: the connection, which view is open, the theme, models, errors and the log. */
import type { AppInfo, HwrApi, HwrEvent, ModelList } from '../../../app/contract.ts';
import type { Transport } from './api.ts';
import { forPeople } from './people-words.ts';

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
  /** In the user's words (people-words.ts). */
  message: string;
  /** The message as the back end gave it, with its code: on hover. */
  detail?: string;
}

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  time: string;
}

const THEME_KEY = 'hwr.theme';
const MAX_BANNERS = 3;
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

  /**
   * Shows an error in a banner, in people's words (`context`: what it happened to, e.g. a file's
   * name); returns nothing so it can end a catch. The same message twice is one banner, and at
   * most three are shown: the newest.
   */
  report(err: unknown, context?: string): void {
    const { message, detail } = forPeople(err, context);
    if (this.banners.some((b) => b.message === message)) return;
    this.banners = [...this.banners, { id: this.nextBanner++, message, ...(detail ? { detail } : {}) }].slice(-MAX_BANNERS);
  }

  /** Dismisses every banner (Esc with no dialog open). */
  dismissAll(): void {
    this.banners = [];
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
