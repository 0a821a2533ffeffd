// Checks a Roo Code settings import file with Roo Code's own schemas
// (@roo-code/types), the way Roo's importExport.ts reads it, and fails when
// zod would silently drop a field (zod strips unknown keys, so a typo such
// as `openrouterApiKey` would otherwise "pass").
// Usage: node validate_roo_import.cjs NPM_TOOLS_DIR FILE
"use strict";
const { createRequire } = require("module");
const fs = require("fs");
const path = require("path");
const isDeepStrictEqual = require("util").isDeepStrictEqual;

const [toolsDir, file] = process.argv.slice(2);
const load = createRequire(path.join(toolsDir, "package.json"));
const types = load("@roo-code/types");
const { z } = load("zod");

const problems = [];
const data = JSON.parse(fs.readFileSync(file, "utf8"));
for (const key of Object.keys(data)) {
  // globalSettings would overwrite the user's settings on every start.
  if (key !== "providerProfiles") problems.push(`unexpected top-level key ${key}`);
}
// Roo's ProviderSettingsManager providerProfilesSchema, rebuilt from the
// package's exports (the schema itself is not exported).
const providerProfilesSchema = z.object({
  currentApiConfigName: z.string(),
  apiConfigs: z.record(z.string(), types.providerSettingsWithIdSchema),
  modeApiConfigs: z.record(z.string(), z.string()).optional(),
  cloudProfileIds: z.array(z.string()).optional(),
});
const profiles = providerProfilesSchema.safeParse(data.providerProfiles);
if (!profiles.success) problems.push(`providerProfiles: ${profiles.error.message}`);
const configs = (data.providerProfiles && data.providerProfiles.apiConfigs) || {};
if (!(data.providerProfiles && data.providerProfiles.currentApiConfigName in configs)) {
  problems.push("currentApiConfigName names no profile");
}
for (const [name, profile] of Object.entries(configs)) {
  if (!types.providerNames.includes(profile.apiProvider)) problems.push(`${name}: unknown apiProvider`);
  const strict = types.discriminatedProviderSettingsWithIdSchema.safeParse(profile);
  if (!strict.success) {
    problems.push(`${name}: ${strict.error.message}`);
    continue;
  }
  for (const key of Object.keys(profile)) {
    if (!(key in strict.data)) problems.push(`${name}: field ${key} is dropped by Roo's schema`);
  }
  if (!isDeepStrictEqual(strict.data, profile)) problems.push(`${name}: Roo's schema changes the profile`);
  const secrets = Object.keys(profile).filter((k) => types.isSecretStateKey(k));
  if (secrets.length !== 1) problems.push(`${name}: expected one secret field, found ${secrets.join(",")}`);
}
if (problems.length) {
  for (const p of problems) console.error(`roo import: ${p}`);
  process.exit(1);
}
console.log(`roo import: ${Object.keys(configs).length} profile(s) valid`);
