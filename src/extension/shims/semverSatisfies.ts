// `semver/functions/satisfies` for the language bundle: module.exports is the function (see semver.ts).
import { satisfies } from './semver';
export = satisfies;
