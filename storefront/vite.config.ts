import { defineConfig } from "vite";

// config.json is not part of the build: the local run serves it, and the deploy uploads one
// written from the stack's outputs (see the README's "The storefront").
export default defineConfig({
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
});
