// Builds the viewer: one self-contained HTML file from src/ and the pinned packages.
//
// The output must be byte-for-byte reproducible from package-lock.json, so that anyone can
// rebuild it and compare its SHA-256 with the one printed on the panel and in README.txt:
// no timestamps, no absolute paths, licence texts in a fixed order.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] ?? join(here, "..", "dist", "vig-viewer.html");

// Every package whose code ends up in the bundle, with its licence file.
const LICENSED = [
  "age-encryption",
  "@noble/ciphers",
  "@noble/curves",
  "@noble/hashes",
  "@noble/post-quantum",
  "@scure/base",
];

function sha256Base64(text) {
  return createHash("sha256").update(text, "utf8").digest("base64");
}

function escapeHtml(text) {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

function licences() {
  return LICENSED.map((name) => {
    const dir = join(here, "node_modules", name);
    const version = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version;
    const text = readFileSync(join(dir, "LICENSE"), "utf8").trim();
    return `${name} ${version}\n\n${text}`;
  }).join("\n\n----------------------------------------\n\n");
}

const bundle = await esbuild.build({
  entryPoints: [join(here, "src", "main.js")],
  bundle: true,
  write: false,
  format: "iife",
  minify: true,
  legalComments: "none",
  charset: "utf8",
  target: ["chrome110"],
  absWorkingDir: here,
});
// A literal "</script" inside the bundle would end the inline script early.
const script = bundle.outputFiles[0].text.replaceAll("</script", "<\\/script");
const style = readFileSync(join(here, "src", "style.css"), "utf8");

// No network of any kind: nothing may be fetched, framed, posted or connected to.
const csp = [
  "default-src 'none'",
  `script-src 'sha256-${sha256Base64(script)}'`,
  `style-src 'sha256-${sha256Base64(style)}'`,
  "img-src data:",
  "media-src blob:",
  "connect-src 'none'",
  "form-action 'none'",
  "base-uri 'none'",
].join("; ");

const html = readFileSync(join(here, "src", "index.html"), "utf8")
  .replace("{{CSP}}", csp)
  .replace("{{STYLE}}", () => style)
  .replace("{{LICENCES}}", () => escapeHtml(licences()))
  .replace("{{SCRIPT}}", () => script);

mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, html);
console.log(`${out} ${createHash("sha256").update(html).digest("hex")}`);
