// The e2e harness: GUI tests drive the packaged .vsix in code-server with Playwright (Workbench);
// extension-host tests run mocha suites against the `vscode` API (runExtensionHostTests).
// Prerequisites come from `node scripts/e2eSetup.mjs` (code-server, Chromium, the .vsix).
export { Workbench, SCREENSHOTS, README_SCREENSHOTS, SCREENSHOT_SETTINGS, type WorkbenchOptions } from './workbench';
export { runExtensionHostTests, type ExtensionHostRun, type ExtensionHostOptions, type SuiteReport } from './extensionHost';
export { prepareWorkspace, WORKSPACE_TEMPLATE } from './workspace';
export { readOutputChannel, readExtensionHostLog, extensionHostLogDir } from './logs';
export { waitFor } from './wait';
export { REPO } from './scripts';
