// `semver/functions/parse` for the language bundle: module.exports is the function (see semver.ts).
import { parse } from './semver';
export = parse;
