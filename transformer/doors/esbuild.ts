import { autotrace } from './unplugin';

// `import autotrace from 'autotrace/esbuild'` (or require it), then `autotrace({ …the tsconfig plugin's options })`
// among the plugins. module.exports is the function itself, so ESM and CommonJS configs both get it as the default.
export = autotrace.esbuild;
