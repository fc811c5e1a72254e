/**
 * The features our client uses that not every ipyparallel answers, and the messages for them. The
 * controller never says "unsupported": a request it or an engine does not know is dropped, unanswered.
 * So a request of such a feature fails at once when the cluster's version (as an engine reported it:
 * versionProbe.ts) is known to be too old, and its timeout names the feature and the version otherwise.
 * Between 7.1 and 9.x no request we send differs (docs/ipyparallel-9.md, "Features and versions").
 */
import { TimeoutError, UnsupportedError } from './errors';
import { seconds } from './requests';
import type { ClusterVersion } from './types';
import { message } from '../messages';

export interface Feature {
  /** What the user asked for, as a noun phrase: "interrupting an engine". */
  what: string;
  /** The oldest ipyparallel that has it. */
  since: string;
  /** What it needs on the cluster, when it can be missing from a new enough version too. */
  needs?: string;
}

export const FEATURES = {
  interrupt: {
    what: 'interrupting an engine (signal_request)',
    since: '7.0',
    needs: "the engine's nanny, which ipyparallel 7.0 and later start unless the engines run with IPEngine.enable_nanny = False",
  },
} as const satisfies Record<string, Feature>;

const RELEASE = /^(\d+)\.(\d+)/;

/** True/false when both versions parse ("9.2.0.dev0" >= "7.0"), undefined when `version` is unknown. */
export function atLeast(version: string | undefined, since: string): boolean | undefined {
  const v = version === undefined ? null : RELEASE.exec(version);
  const s = RELEASE.exec(since);
  if (!v || !s) return undefined;
  const [vMajor, vMinor, sMajor, sMinor] = [v[1], v[2], s[1], s[2]].map(Number);
  return vMajor !== sMajor ? vMajor > sMajor : vMinor >= sMinor;
}

/** "ipyparallel 7.1.0 (as reported by engine 0)" or "an unknown ipyparallel version". */
export function describeVersion(version: ClusterVersion | undefined): string {
  const v = version?.ipyparallel;
  if (v === undefined || atLeast(v, '0.0') === undefined) return message('versionUnreported');
  return version?.engineId !== undefined ? message('versionReportedBy', v, version.engineId) : message('versionOf', v);
}

/** Throws UnsupportedError when the cluster is known to be older than the feature. */
export function requireFeature(feature: Feature, version: ClusterVersion | undefined): void {
  if (atLeast(version?.ipyparallel, feature.since) !== false) return;
  throw new UnsupportedError(
    feature.what,
    version?.ipyparallel ?? '',
    feature.needs
      ? message('featureNeedsWhy', feature.what, feature.since, feature.needs, describeVersion(version))
      : message('featureNeeds', feature.what, feature.since, describeVersion(version)),
  );
}

/** The timeout of a feature's request: says what it needs and which version the cluster runs. */
export function unansweredError(feature: Feature, version: ClusterVersion | undefined, what: string, timeoutMs: number): TimeoutError {
  const needs = feature.needs ?? message('versionOrLater', feature.since);
  return new TimeoutError(message('unanswered', what, seconds(timeoutMs), capitalize(feature.what), needs, describeVersion(version)));
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
