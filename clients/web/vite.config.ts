import { defineConfig } from "vite";

// Served by the site at /app/ (WhiteNoise); `npm run dev` proxies the API and the sockets to
// a local server (`nox -s demo` on port 8000, or PSICO_API_URL).
const api = process.env.PSICO_API_URL ?? "http://127.0.0.1:8000";

export default defineConfig({
  base: "/app/",
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true },
  server: {
    proxy: {
      "/api": { target: api, changeOrigin: true },
      "/ws": { target: api, ws: true, changeOrigin: true },
    },
  },
});
