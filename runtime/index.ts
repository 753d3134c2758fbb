// autotrace/runtime: what the code emitted by autotrace/transformer calls. These names are part of the emitted code,
// so they are public API: renaming one breaks every service built with an older transformer.
export { expressApp, expressRoute, expressUse } from './express';
export { fetch } from './fetch';
export { VERSION } from './version';
