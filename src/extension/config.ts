/** The typed view of the `ipyparallel.*` settings (the parsing itself is in settings.ts, pure). */
import * as vscode from 'vscode';
import { CONFIG_SECTION } from './ids';
import { readSettings, SERVER_KEYS, SETTING_KEYS, toServerSettings, type Settings } from './settings';
import type { ServerSettings } from '../shared/protocol';

export class Config {
  #settings: Settings = Config.read();

  static read(): Settings {
    const c = vscode.workspace.getConfiguration(CONFIG_SECTION);
    return readSettings((key) => c.get(key));
  }

  get settings(): Settings {
    return this.#settings;
  }

  /** The server's settings; `evaluate` follows workspace trust (hover and completion run code on the engines). */
  get server(): ServerSettings {
    return toServerSettings(this.#settings, vscode.workspace.isTrusted);
  }

  /** Re-reads every setting (when trust is granted, the workspace's restricted settings start to count). */
  reload(): void {
    this.#settings = Config.read();
  }

  /** Re-reads the settings; tells which areas of the extension the change affects. */
  update(e: vscode.ConfigurationChangeEvent): { any: boolean; server: boolean; codeLens: boolean } {
    const affects = (k: keyof Settings) => e.affectsConfiguration(`${CONFIG_SECTION}.${SETTING_KEYS[k]}`);
    const any = e.affectsConfiguration(CONFIG_SECTION);
    if (any) this.#settings = Config.read();
    return { any, server: SERVER_KEYS.some(affects), codeLens: affects('codeLensEnabled') };
  }
}
