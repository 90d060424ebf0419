import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";

// The server serves dist/ (embedded in the binary, or from [paths] web_dir): hashed names under
// assets/ are cached for a year, index.html never. No inline script or style: the pages' CSP
// allows only files from the server itself.
export default defineConfig({
  plugins: [vue()],
  build: {
    outDir: "dist",
    assetsDir: "assets",
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    // `npm run dev` forwards API calls to a server started with scripts/run
    proxy: { "/api": "http://127.0.0.1:8080" },
  },
});
