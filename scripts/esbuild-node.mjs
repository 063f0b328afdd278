// The esbuild options both builds share (scripts/build.mjs for `npm start`, and the schema
// template's preparer in scripts/prepare-embedded-db.mjs): ES modules for the Node versions we run on.
export const NODE_ESM = {
  format: 'esm',
  platform: 'node',
  target: 'node22',
  // Bundled CommonJS dependencies call require() for Node's built-in modules.
  banner: { js: "import { createRequire as __portvaktRequire } from 'node:module'; const require = __portvaktRequire(import.meta.url);" },
};
